"""Production refuses the development SMS provider; the demo uses it."""

from tests.test_deployment import import_production, production_env


def test_production_refuses_the_dev_provider():
    result = import_production(production_env(FENXIAO_SMS_PROVIDER="dev"))
    assert result.returncode != 0
    assert "Production settings refuse to start: FENXIAO_SMS_PROVIDER is dev" in result.stderr


def test_production_starts_with_the_real_provider_or_none():
    for value in ("tencent", ""):
        result = import_production(production_env(FENXIAO_SMS_PROVIDER=value))
        assert result.returncode == 0, result.stderr

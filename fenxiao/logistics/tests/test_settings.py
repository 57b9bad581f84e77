"""Production refuses the development tracking provider (it would sign real parcels for)."""

from tests.test_deployment import import_production, production_env


def test_production_refuses_the_dev_provider():
    result = import_production(production_env(FENXIAO_TRACKING_PROVIDER="dev"))
    assert result.returncode != 0
    assert "Production settings refuse to start: FENXIAO_TRACKING_PROVIDER is dev" in result.stderr


def test_production_starts_with_the_real_provider_or_none():
    for value in ("kuaidi100", ""):
        result = import_production(production_env(FENXIAO_TRACKING_PROVIDER=value))
        assert result.returncode == 0, result.stderr

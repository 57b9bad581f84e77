"""Assertions shared by the API tests."""


def assert_error(response, status, code):
    """The API's error shape: exactly {code, message, detail}, with the expected status and code."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body

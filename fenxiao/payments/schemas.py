from ninja import Schema


class NotifyFailOut(Schema):
    """WeChat Pay's expected answer to a notification that was not accepted; it will retry."""

    code: str = "FAIL"
    message: str

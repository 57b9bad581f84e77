from django.db import migrations, models


def mark_jsapi(apps, schema_editor):
    """Every WeChat Pay payment before this migration was a JSAPI one."""
    Payment = apps.get_model("payments", "Payment")
    Payment.objects.filter(provider="wechatpay", trade_type="").update(trade_type="jsapi")


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_refusals_and_duplicates"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="trade_type",
            field=models.CharField(
                blank=True,
                choices=[("jsapi", "微信内支付（JSAPI）"), ("h5", "手机浏览器支付（H5）"), ("native", "扫码支付（Native）")],
                max_length=8,
                verbose_name="交易类型",
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="h5_url",
            field=models.CharField(blank=True, max_length=512, verbose_name="H5 支付跳转链接"),
        ),
        migrations.AddField(
            model_name="payment",
            name="code_url",
            field=models.CharField(blank=True, max_length=128, verbose_name="扫码支付二维码链接"),
        ),
        migrations.AddField(
            model_name="payment",
            name="prepared_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="下单时间（渠道）"),
        ),
        migrations.RunPython(mark_jsapi, migrations.RunPython.noop, elidable=True),
    ]

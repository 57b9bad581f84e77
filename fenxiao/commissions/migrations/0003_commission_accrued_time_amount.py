from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("commissions", "0002_settlement_team_bonus_and_settings"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="commission",
            index=models.Index(fields=["created_at", "amount_fen"], name="commission_accrued_time_amount"),
        ),
    ]

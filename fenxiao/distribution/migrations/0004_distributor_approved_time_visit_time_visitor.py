from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("distribution", "0003_staff_may_distribute"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="distributor",
            index=models.Index(
                condition=models.Q(("approved_at__isnull", False)), fields=["approved_at"], name="distributor_approved_time"
            ),
        ),
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(fields=["created_at", "visitor", "session_key"], name="visit_time_visitor"),
        ),
    ]

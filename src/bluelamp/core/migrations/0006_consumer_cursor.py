from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_gazetteer"),
    ]

    operations = [
        migrations.CreateModel(
            name="ConsumerCursor",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=80, unique=True)),
                ("position", models.BigIntegerField(default=0, help_text="The highest event id handled.")),
                (
                    "gaps",
                    models.JSONField(blank=True, default=dict, help_text="Lower ids not seen yet → when first missed."),
                ),
                ("failing_event_id", models.BigIntegerField(blank=True, null=True)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("retry_at", models.DateTimeField(blank=True, null=True)),
                ("last_error", models.TextField(blank=True)),
                ("last_error_at", models.DateTimeField(blank=True, null=True)),
                ("handled_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
    ]

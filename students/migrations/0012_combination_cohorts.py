from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("students", "0011_cohort_moves"),
    ]

    operations = [
        migrations.AddField(
            model_name="cohort",
            name="grade_chosen",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text=(
                    "Set when a leader chose the grade this homeroom follows; roster imports "
                    "then keep it as long as it is one of the homeroom's grades."
                ),
                verbose_name="grade chosen in Setup",
            ),
        ),
    ]

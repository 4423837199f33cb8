from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("students", "0012_combination_cohorts"),
    ]

    operations = [
        migrations.AddField(
            model_name="network",
            name="cohorts_from",
            field=models.CharField(
                choices=[
                    ("homerooms", "homeroom classes"),
                    ("courses", "the classes of chosen courses"),
                    ("codes", "the classes with chosen class codes"),
                ],
                db_default="homerooms",
                default="homerooms",
                help_text=(
                    "Which classes of a roster export become cohorts; set on the import page."
                ),
                max_length=10,
                verbose_name="cohorts from",
            ),
        ),
        migrations.AddField(
            model_name="network",
            name="cohort_classes",
            field=models.JSONField(
                blank=True,
                db_default=[],
                default=list,
                help_text="The course sourcedIds or class codes whose classes become cohorts.",
                verbose_name="cohort courses or class codes",
            ),
        ),
        migrations.AddField(
            model_name="rosterimport",
            name="cohort_preview",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text=(
                    "A dry run's candidates for the classes that define cohorts "
                    "(students.oneroster.cohort_sources)."
                ),
            ),
        ),
    ]

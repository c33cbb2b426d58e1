"""Load the grade targets listed in control/data/grade_targets.json (rules as data, with
effective dates). A later change of target is a new row with a later effective_from, added by a
new migration calling the same function with the updated file."""

import datetime as dt
import json
from pathlib import Path

from django.db import migrations

TARGETS_FILE = Path(__file__).resolve().parents[1] / "data" / "grade_targets.json"


def load_grade_targets(apps, schema_editor):
    grade_target = apps.get_model("control", "GradeTarget")
    for spec in json.loads(TARGETS_FILE.read_text(encoding="utf-8"))["targets"]:
        grade_target.objects.update_or_create(
            grade=spec["grade"],
            effective_from=dt.date.fromisoformat(spec["effective_from"]),
            defaults={"attend_within_minutes": spec["attend_within_minutes"], "aim_percent": spec["aim_percent"]},
        )


class Migration(migrations.Migration):
    dependencies = [("control", "0001_initial")]

    operations = [migrations.RunPython(load_grade_targets, migrations.RunPython.noop)]

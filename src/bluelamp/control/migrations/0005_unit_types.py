"""Load the unit types listed in control/data/unit_types.json (rules as data). Later changes to
that file are picked up by a new migration calling the same function, or by
resources.load_unit_types."""

import json
from pathlib import Path

from django.db import migrations

UNIT_TYPES_FILE = Path(__file__).resolve().parents[1] / "data" / "unit_types.json"


def load_unit_types(apps, schema_editor):
    unit_type_model = apps.get_model("control", "UnitType")
    for spec in json.loads(UNIT_TYPES_FILE.read_text(encoding="utf-8"))["unit_types"]:
        unit_type_model.objects.update_or_create(
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "min_crew": int(spec.get("min_crew", 1)),
                "every_member_needs": list(spec.get("every_member_needs", [])),
                "one_member_needs": list(spec.get("one_member_needs", [])),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("control", "0004_resources")]

    operations = [migrations.RunPython(load_unit_types, migrations.RunPython.noop)]

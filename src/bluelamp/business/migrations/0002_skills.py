"""Load the skills listed in business/data/skills.json (rules as data). Later changes to that
file are picked up by a new migration calling the same function, or by services.load_skills."""

import json
from pathlib import Path

from django.db import migrations

SKILLS_FILE = Path(__file__).resolve().parents[1] / "data" / "skills.json"


def load_skills(apps, schema_editor):
    skill_model = apps.get_model("business", "Skill")
    for spec in json.loads(SKILLS_FILE.read_text(encoding="utf-8"))["skills"]:
        skill_model.objects.update_or_create(
            code=spec["code"], defaults={"name": spec["name"], "description": spec.get("description", "")}
        )


class Migration(migrations.Migration):
    dependencies = [("business", "0001_initial")]

    operations = [migrations.RunPython(load_skills, migrations.RunPython.noop)]

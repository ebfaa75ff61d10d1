"""pg_trgm and a GIN trigram index on question texts: the console's merge search and duplicate suggestions stay
fast with 10,000 questions (debates.selectors.merge_candidates, similar_questions). PostgreSQL only: elsewhere the
selectors fall back to plain substring and shared-word matching, and this migration does nothing."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "debates_question_text_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON debates_question USING gin (text gin_trgm_ops)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("debates", "0010_item_versions")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index),
    ]

"""On PostgreSQL, the reports read the facts of a period from covering indexes alone
(index-only scans: no visit to the table per row). SQLite has no INCLUDE columns."""

from django.db import migrations

INDEXES = {
    "cycle_opened_cover": (
        "analytics_cycle (opened_at) INCLUDE (number, channel, inbox_id, team_id, language, "
        "agent_id)"
    ),
    "cycle_solved_cover": (
        "analytics_cycle (solved_at) INCLUDE (number, channel, inbox_id, team_id, language, "
        "agent_id, contact_id, resolution_s, resolution_bs, replies, handle_s, reopened, "
        "returned_s) WHERE solved_at IS NOT NULL"
    ),
    # What is open now (the backlog is counted back from it).
    "cycle_open_cover": (
        "analytics_cycle (opened_at) INCLUDE (channel, inbox_id, team_id, language) "
        "WHERE solved_at IS NULL"
    ),
    "response_cover": (
        "analytics_response (responded_at) INCLUDE (is_first, wait_s, wait_bs, channel, "
        "inbox_id, team_id, language, agent_id)"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, spec in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {spec}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]

"""A time rule fired by a running ``sahayak worker``: within 60 s of the due time, once."""

import time

import pytest

from .helpers import django_eval, kill, prepare_env, start, wait_for

pytestmark = pytest.mark.slow

SETUP = """
from datetime import timedelta
from django.utils import timezone
from sahayak.automation import rulebook
from sahayak.automation.models import Rule
from sahayak.contacts.models import Contact
from sahayak.conversations.models import Conversation, Inbox
inbox = Inbox.objects.create(name='API', channel='api')
contact = Contact.objects.create(name='Asha')
# Pending since 60 s ago minus DUE_IN: the one-minute rule falls due DUE_IN seconds from now.
since = timezone.now() - timedelta(seconds=60 - DUE_IN)
c = Conversation.objects.create(
    inbox=inbox, contact=contact, channel='api', subject='Waiting on the customer',
    status='pending', status_changed_at=since,
)
fields = rulebook.clean(
    name='Remind', trigger='time', events=[], anchor='status_changed', delay_minutes=1,
    conditions_in={'items': [{'field': 'status', 'op': 'in', 'value': ['pending']}]},
    actions_in=[{'type': 'note', 'text': 'Reminder due'}, {'type': 'add_tags', 'value': ['reminded']}],
)
rule = rulebook.save_rule(Rule(), fields, enabled=True, user=None)
result = [c.pk, rule.pk, (since + timedelta(minutes=1)).timestamp()]
"""

RUNS = """
from sahayak.automation.models import RuleRun
from sahayak.conversations.models import Message
runs = list(RuleRun.objects.filter(rule_id=RULE).values_list('created_at', flat=True))
notes = Message.objects.filter(conversation_id=CONV, direction='note').count()
result = [[r.timestamp() for r in runs], notes]
"""


def test_worker_fires_a_due_time_rule_once_within_a_minute(tmp_path):
    env = prepare_env(tmp_path, "sahayak_e2e_time_rules")
    conversation, rule, due = django_eval(SETUP.replace("DUE_IN", "5"), env)
    worker = start(["worker", "--sweep", "1"], env)
    check = RUNS.replace("RULE", str(rule)).replace("CONV", str(conversation))
    try:
        runs, notes = wait_for(
            lambda: (r := django_eval(check, env))[0] and r, timeout=90, interval=2
        )
        assert runs[0] >= due  # not before it was due
        assert runs[0] - due < 60  # and within the minute
        time.sleep(5)  # several more sweeps
        runs, notes = django_eval(check, env)
    finally:
        output = kill(worker)
    assert len(runs) == 1 and notes == 1, output

import pytest

from tests.conftest import broadcast_keys
from tests.factories import make_debate, make_participant, make_poll

pytestmark = pytest.mark.django_db


def test_vote_is_counted_and_broadcast(broadcasts):
    from debates import selectors, services

    debate = make_debate()
    poll = make_poll(debate)
    yes = poll.options.first()
    services.vote_cast(poll=poll, participant=make_participant(debate), option_id=yes.pk)
    assert selectors.poll_tally(poll)["options"][0]["count"] == 1
    assert f"poll:{poll.pk}" in broadcast_keys(broadcasts)

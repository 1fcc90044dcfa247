"""Names of the channel-layer groups (one place, so producers and consumers agree)."""

AGENTS = "agents"


def conversation(conversation_id: int) -> str:
    return f"conversation.{conversation_id}"


def user(user_id: int) -> str:
    return f"user.{user_id}"

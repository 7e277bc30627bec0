"""Shared pieces of the randomised (hypothesis) tests of the dialogs."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy


def examples(count: int) -> settings:
    """Settings for a randomised test on the function-scoped bot fixtures (client, db, ...): ``count``
    examples, no deadline (a loaded machine is slow), and the same fixtures reused across examples."""
    return settings(
        max_examples=count, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )


def typed_texts(min_size: int = 0, max_size: int = 600) -> SearchStrategy[str]:
    """Whatever a person may type that is not a command."""
    return st.text(min_size=min_size, max_size=max_size).filter(lambda t: not t.startswith("/"))


def value_texts(max_size: int = 20) -> SearchStrategy[str]:
    """A random value for a callback field (no «:», which separates the fields)."""
    return st.text(alphabet=st.characters(blacklist_characters=":"), max_size=max_size)


def form_buttons(
    form: str, steps: Sequence[str], actions: Sequence[str], values: SearchStrategy[str]
) -> SearchStrategy[str]:
    """The form engine's buttons of ``form``, forged: fm:<form>:<step>:<action>:<value>."""
    return st.builds(
        lambda s, a, v: f"fm:{form}:{s}:{a}:{v}", st.sampled_from(steps), st.sampled_from(actions), values
    )

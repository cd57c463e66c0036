"""The app's policy and the domain ask for the same user permission for every command
(the domain checks it again so that the auditor's replay catches a forged act)."""

from __future__ import annotations

from openscf.app.policy import POLICY
from openscf.domain import commands as c
from openscf.domain.decide import USER_PERMISSION


def test_the_domain_and_the_apps_policy_ask_for_the_same_user_permission() -> None:
    assert {cls: rule[1] for cls, rule in POLICY.items()} == USER_PERMISSION
    assert set(POLICY) == set(c.COMMAND_TYPES.values())

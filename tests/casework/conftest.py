"""Staff for domain-service tests, made only when a test asks for them.

The ``users`` fixture makes eleven accounts (half a second of scrypt) per test; these
tests mostly need one or two, so ``staff["kukar_caseworker"]`` makes just that one.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from casework.models import Role, User
from tests import factories

# name -> (role, region); the same names as the ``users`` fixture of tests/conftest.py.
STAFF = {
    **{role.value: (role, None) for role in Role},
    "kukar_caseworker": (Role.CASEWORKER, "64.02"),
    "kukar_verifier": (Role.VERIFIER, "64.02"),
    "kukar_manager": (Role.MANAGER, "64.02"),
    "samarinda_caseworker": (Role.CASEWORKER, "64.72"),
}


class Staff(dict[str, User]):
    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def __missing__(self, name: str) -> User:
        role, region = STAFF[name]
        user = factories.make_user(self.session, role, region=region)
        self[name] = user
        return user


@pytest.fixture()
def staff(session: Session) -> Staff:
    return Staff(session)

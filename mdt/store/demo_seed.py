"""The demo data (``mdt.demo``) stored in one transaction on an empty database.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from mdt.service_types import Actor
from mdt.store import audit
from mdt.store.db import Database
from mdt.store.import_impl import import_case
from mdt.store.meetings_impl import insert_meeting
from mdt.store.members_impl import insert_member
from mdt.store.models import MemberModel, PatientModel

# --------------------------------------------------------------------------- demo


def seed_demo_if_empty(db: Database, actor: Actor, meeting_date: date | None) -> bool:
    from mdt import demo

    with db.write() as s:
        # Two workstations starting on an empty shared database: the second waits
        # here for the first to finish, then finds it no longer empty.
        audit.lock_chain(s)
        if s.scalars(select(PatientModel.id).limit(1)).first() is not None:
            return False
        if s.scalars(select(MemberModel.id).limit(1)).first() is not None:
            return False
        for member in demo.demo_members():
            insert_member(s, actor, member, check=False)
        counts = dict.fromkeys(("patients_created", "patients_updated", "reviews_added",
                                "reviews_revised", "reviews_unchanged"), 0)
        cases = demo.demo_cases(meeting_date)
        for case in demo.seed_cases(meeting_date):
            import_case(s, actor, case, counts, [], [])
        insert_meeting(s, actor, demo.demo_meeting(meeting_date, cases), check=False)
    return True

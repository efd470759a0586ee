"""Sign-in and key-signed signatures: member credentials, hospital settings, the
key-signed fields of a signature, and a baseline seal of every data row.

Revision ID: 0004_signin_signatures
Revises: 0003_enrolment_date
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_signin_signatures"
down_revision = "0003_enrolment_date"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_credential",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("password_set_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("encrypted_key", sa.Text(), nullable=True),
        sa.Column("certificate_pem", sa.Text(), nullable=True),
        sa.Column("key_source", sa.String(length=16), nullable=True),
        sa.Column("os_account", sa.String(length=200), nullable=True),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"],
                                name=op.f("fk_member_credential_member_id_member")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_credential")),
        sa.UniqueConstraint("os_account", name=op.f("uq_member_credential_os_account")),
    )
    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_setting")),
    )
    with op.batch_alter_table("signature") as batch:
        batch.add_column(sa.Column("audit_event_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("member_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("certificate_pem", sa.Text(), nullable=True))
        batch.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch.add_column(sa.Column("signed_value", sa.Text(), nullable=True))
        batch.add_column(sa.Column("minutes_pdf", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("minutes_sha256", sa.String(length=64), nullable=True))
        batch.create_foreign_key(op.f("fk_signature_member_id_member"), "member",
                                 ["member_id"], ["id"])
    _baseline_seal()


def _baseline_seal() -> None:
    """Seal the rows an older version wrote, so later edits outside the application show.

    Rows are sealed as they are at upgrade: what happened to them before cannot be
    proven now, and the event says so."""
    from mdt.store import seal
    from mdt.store.audit import append_raw

    conn = op.get_bind()
    rows = {key: h for key, (h, _row) in seal.current_hashes(conn, reflect=True).items()}
    if rows:
        append_raw(conn, actor="upgrade 0004", action=seal.SEAL_ACTION, entity="data",
                   entity_id=str(len(rows)), after={"rows": rows, "baseline": True})


def downgrade() -> None:
    with op.batch_alter_table("signature") as batch:
        batch.drop_constraint(op.f("fk_signature_member_id_member"), type_="foreignkey")
        for name in ("minutes_sha256", "minutes_pdf", "signed_value", "payload",
                     "certificate_pem", "member_id", "audit_event_id"):
            batch.drop_column(name)
    op.drop_table("setting")
    op.drop_table("member_credential")

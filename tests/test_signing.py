"""Signed minutes: a PAdES signature standard validators accept, by the chair's own key.

The PDF is checked with pyHanko's own validator (not only through our wrapper), then a
single byte is changed and the same validator must reject it.  Signing needs the chair's
password again; a wrong one signs nothing; a save by someone else while the chair signs
is a conflict that leaves nothing half-signed.
"""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import main
from mdt import demo, keys
from mdt.errors import AuthenticationError, ConflictError
from mdt.services import Actor, MdtService, seed_demo_if_empty
from mdt.signing import EXIT_AGREES, EXIT_BROKEN, EXIT_UNSIGNED, verify_minutes
from mdt.store.db import open_database
from tests.signin_fixtures import TEST_PASSWORD, as_member


@pytest.fixture
def demo_db(tmp_path: Path):
    db = open_database(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    seed_demo_if_empty(db)
    yield db
    db.close()


def _meeting_id(db) -> str:
    return MdtService(db, Actor("reader")).list_meetings()[0].id


def _pyhanko_status(pdf: bytes, cert_pem: str):
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = asn1_x509.Certificate.load(
        keys.load_certificate(cert_pem).public_bytes(serialization.Encoding.DER))
    (sig,) = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    return validate_pdf_signature(sig, ValidationContext(trust_roots=[root], allow_fetching=False))


def test_signed_minutes_validate_with_pyhanko_and_fail_after_a_one_byte_change(demo_db) -> None:
    chair = as_member(demo_db, demo.CHAIR)
    mid = _meeting_id(demo_db)
    sig = chair.sign_meeting(mid, TEST_PASSWORD)
    pdf = chair.signed_minutes(mid)
    assert pdf is not None and pdf.startswith(b"%PDF")
    cert = next(s for s in __import__("mdt.store.service_impl", fromlist=["x"])
                .signature_records(chair) if s.meeting_id == mid).certificate_pem
    status = _pyhanko_status(pdf, cert)
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.signing_cert.subject.native["common_name"] == demo.CHAIR
    assert keys.fingerprint(cert) == sig.certificate_sha256
    assert abs(status.signer_reported_dt - sig.at) < timedelta(minutes=1)
    # A one-byte change inside the signed content: the digest no longer matches.
    content_at = pdf.index(b"stream", len(pdf) // 4) + 20
    tampered = bytearray(pdf)
    tampered[content_at] ^= 0x01
    status = _pyhanko_status(bytes(tampered), cert)
    assert not status.intact and not status.bottom_line


def test_a_wrong_password_signs_nothing(demo_db) -> None:
    chair = as_member(demo_db, demo.CHAIR)
    mid = _meeting_id(demo_db)
    before = chair.audit_events(include_seals=True)
    with pytest.raises(AuthenticationError, match="not right"):
        chair.sign_meeting(mid, "not the chair's password")
    assert not chair.get_meeting(mid).signed
    after = chair.audit_events(include_seals=True)
    new = [e for e in after if e not in before]
    # the wrong password is on the record (never what was typed); nothing else changed
    assert [(e.action, e.actor, e.after) for e in new] == [
        ("member.signin_failed", demo.CHAIR, {"during": "signing"})]
    assert "not the chair" not in repr(new)


def test_verify_minutes_says_who_signed_and_whether_the_record_agrees(demo_db, tmp_path) -> None:
    chair = as_member(demo_db, demo.CHAIR)
    mid = _meeting_id(demo_db)
    draft = tmp_path / "draft.pdf"
    from mdt.minutes import write_minutes

    write_minutes(chair, mid, draft)
    assert verify_minutes(chair, draft.read_bytes()).code == EXIT_UNSIGNED
    chair.sign_meeting(mid, TEST_PASSWORD)
    pdf = chair.signed_minutes(mid)
    result = verify_minutes(chair, pdf)
    assert result.code == EXIT_AGREES and result.meeting_id == mid
    text = "\n".join(result.lines)
    assert f"signed by {demo.CHAIR}" in text and "valid" in text and mid in text
    # What `main.py minutes` writes for a signed meeting is the signed file itself.
    out = tmp_path / "printed.pdf"
    write_minutes(chair, mid, out)
    assert out.read_bytes() == pdf
    tampered = bytearray(pdf)
    tampered[pdf.index(b"stream", len(pdf) // 4) + 20] ^= 0x01
    result = verify_minutes(chair, bytes(tampered))
    assert result.code == EXIT_BROKEN and "BROKEN" in "\n".join(result.lines)


def test_verify_minutes_command_exit_codes(demo_db, tmp_path, capsys) -> None:
    chair = as_member(demo_db, demo.CHAIR)
    mid = _meeting_id(demo_db)
    url = str(demo_db.url)
    draft = tmp_path / "draft.pdf"
    assert main.main(["--db", url, "minutes", "--meeting", mid, "--out", str(draft)]) == 0
    assert main.main(["--db", url, "verify-minutes", str(draft)]) == 3
    chair.sign_meeting(mid, TEST_PASSWORD)
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(chair.signed_minutes(mid))
    capsys.readouterr()
    assert main.main(["--db", url, "verify-minutes", str(signed)]) == 0
    assert f"signed by {demo.CHAIR}" in capsys.readouterr().out
    broken = bytearray(signed.read_bytes())
    broken[len(broken) // 2] ^= 0x01
    (tmp_path / "broken.pdf").write_bytes(bytes(broken))
    assert main.main(["--db", url, "verify-minutes", str(tmp_path / "broken.pdf")]) == 1
    assert main.main(["--db", url, "verify-minutes", str(tmp_path / "missing.pdf")]) == 2
    (tmp_path / "text.pdf").write_text("not a pdf")
    assert main.main(["--db", url, "verify-minutes", str(tmp_path / "text.pdf")]) == 2


def test_a_hospital_issued_certificate_signs_instead(demo_db) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, demo.CHAIR),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "General Hospital")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(7).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365)).sign(key, hashes.SHA256()))
    p12 = pkcs12.serialize_key_and_certificates(
        b"chair", key, cert, None, serialization.BestAvailableEncryption(b"p12-secret"))
    chair = as_member(demo_db, demo.CHAIR)
    with pytest.raises(AuthenticationError):
        chair.import_certificate(p12, "p12-secret", "wrong password")
    fp = chair.import_certificate(p12, "p12-secret", TEST_PASSWORD)
    assert fp == cert.fingerprint(hashes.SHA256()).hex()
    mid = _meeting_id(demo_db)
    sig = chair.sign_meeting(mid, TEST_PASSWORD)
    assert sig.certificate_sha256 == fp
    assert verify_minutes(chair, chair.signed_minutes(mid)).code == EXIT_AGREES
    assert chair.verify_audit().ok


# --------------------------------------------------------------------------- concurrency


def test_a_save_between_rendering_and_storing_is_a_conflict_and_nothing_is_signed(
        demo_db, monkeypatch) -> None:
    import dataclasses

    from mdt.minutes import pades

    chair = as_member(demo_db, demo.CHAIR)
    coordinator = as_member(demo_db, demo.COORDINATOR)
    mid = _meeting_id(demo_db)
    patient = chair.get_meeting(mid).agenda[0].patient_id
    real_sign = pades.sign_pdf

    def sign_while_someone_saves(*args, **kwargs):
        rec = coordinator.list_reviews(patient)[-1]
        coordinator.save_review(rec.review_id, dataclasses.replace(rec.review, ecog=2),
                                rec.version, "ECOG updated from the clinic letter")
        return real_sign(*args, **kwargs)

    monkeypatch.setattr(pades, "sign_pdf", sign_while_someone_saves)
    before_locked = [r.locked for r in chair.list_reviews(patient)]
    with pytest.raises(ConflictError, match="nothing was signed"):
        chair.sign_meeting(mid, TEST_PASSWORD)
    assert not chair.get_meeting(mid).signed
    assert [r.locked for r in chair.list_reviews(patient)] == before_locked
    assert chair.verify_audit().ok
    monkeypatch.setattr(pades, "sign_pdf", real_sign)
    chair.sign_meeting(mid, TEST_PASSWORD)                     # signing again works
    assert chair.get_meeting(mid).signed


def test_signing_while_another_workstation_saves_is_a_conflict_or_a_signature(tmp_path) -> None:
    """Two workstations on one file: the coordinator keeps saving an agenda patient's review
    while the chair signs.  Every round ends in a clear ConflictError with nothing signed, or
    in a complete signature (never StaleDataError, never half-signed)."""
    import dataclasses

    url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    setup = open_database(url)
    seed_demo_if_empty(setup)
    as_member(setup, demo.CHAIR)
    as_member(setup, demo.COORDINATOR)
    setup.close()
    outcomes: list[str] = []
    for _round in range(4):
        chair_db, coord_db = open_database(url), open_database(url)
        try:
            chair = as_member(chair_db, demo.CHAIR)
            coordinator = as_member(coord_db, demo.COORDINATOR)
            if chair.get_meeting(_meeting_id(chair_db)).signed:
                break
            mid = _meeting_id(chair_db)
            patient = chair.get_meeting(mid).agenda[0].patient_id
            stop = threading.Event()
            errors: list[BaseException] = []

            def saver(stop=stop, coordinator=coordinator, patient=patient,  # noqa: ANN001
                      errors=errors) -> None:
                k = 0
                while not stop.is_set():
                    rec = coordinator.list_reviews(patient)[-1]
                    if rec.locked:
                        return
                    try:
                        coordinator.save_review(rec.review_id, dataclasses.replace(
                            rec.review, ecog=k % 3), rec.version, f"edit {k}")
                    except ConflictError:
                        pass
                    except Exception as exc:  # noqa: BLE001 - reported below
                        if "belongs to signed meeting" not in str(exc):
                            errors.append(exc)
                        return
                    k += 1

            thread = threading.Thread(target=saver)
            thread.start()
            try:
                chair.sign_meeting(mid, TEST_PASSWORD)
                outcomes.append("signed")
            except ConflictError as exc:
                assert "nothing was signed" in str(exc)
                outcomes.append("conflict")
            finally:
                stop.set()
                thread.join(60)
            assert errors == []
            meeting = chair.get_meeting(mid)
            locked = [r.locked for r in chair.list_reviews(patient)]
            if meeting.signed:                                  # complete: reviews locked too
                assert any(locked)
            else:                                               # nothing: no review locked
                assert not any(locked)
            assert chair.verify_audit().ok, chair.verify_audit().message
        finally:
            chair_db.close()
            coord_db.close()
    assert outcomes and set(outcomes) <= {"signed", "conflict"}

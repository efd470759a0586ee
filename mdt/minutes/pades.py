"""PAdES signatures on the minutes PDF (pyHanko), and their validation.

The chair's key signs the rendered minutes as a PAdES baseline signature
(``ETSI.CAdES.detached``, SHA-256) in an incremental update, so the PDF/A-2b content
stays as rendered and any later byte change breaks the signature in every standard
reader.  Validation runs offline: the trust anchors are the certificates the members
registry holds (or a hospital CA given on the command line); nothing is fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped]  # asn1crypto: no stubs
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization

from mdt import keys

SIGNATURE_FIELD = "ChairSignature"


def warm_up() -> None:
    """Import pyHanko ahead of need (about 0.5 s on a quiet machine): the signing dialog
    starts this while the chair types the password, so signing itself does not wait."""
    import pyhanko.pdf_utils.incremental_writer  # noqa: F401
    import pyhanko.sign.signers  # noqa: F401


def _asn1_cert(certificate_pem: str) -> asn1_x509.Certificate:
    der = keys.load_certificate(certificate_pem).public_bytes(serialization.Encoding.DER)
    return asn1_x509.Certificate.load(der)


def sign_pdf(pdf: bytes, key: keys.PrivateKey, certificate_pem: str, *, signer: str,
             reason: str, location: str | None = None) -> bytes:
    """``pdf`` with an invisible PAdES signature by ``key`` (its certificate embedded)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    cert = _asn1_cert(certificate_pem)
    der_key = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    signer_obj = signers.SimpleSigner(
        signing_cert=cert, signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore.from_certs([cert]))
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD, md_algorithm="sha256", reason=reason, name=signer,
        location=location, subfilter=fields.SigSeedSubFilter.PADES)
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    out = signers.sign_pdf(writer, meta, signer=signer_obj)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class PdfSignatureReport:
    """What a standard validator says about one embedded signature."""
    field: str
    signer: str
    """The certificate's common name."""
    signed_at: datetime | None
    """The signing time the signer's software stated (a signed attribute)."""
    certificate_sha256: str
    intact: bool
    """The signed bytes are unchanged (the digest matches)."""
    valid: bool
    """The cryptographic signature checks with the embedded certificate."""
    trusted: bool
    """The certificate is one of the trust anchors given."""
    covers_whole_file: bool
    """Nothing was appended after the signature."""
    details: str
    """pyHanko's own report, for the curious."""

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.covers_whole_file


class NotAPdf(ValueError):
    pass


def validate_pdf(pdf: bytes, trusted_pems: list[str]) -> list[PdfSignatureReport]:
    """Every embedded signature, validated offline against ``trusted_pems``.

    NotAPdf when the bytes cannot be read as a PDF at all."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise NotAPdf(str(exc)) from exc
    roots = [_asn1_cert(p) for p in dict.fromkeys(trusted_pems)]
    reports = []
    for sig in embedded:
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        try:
            status = validate_pdf_signature(sig, context)
        except (SignatureValidationError, ValueError, KeyError, TypeError) as exc:
            reports.append(PdfSignatureReport(
                field=sig.field_name, signer="?", signed_at=None, certificate_sha256="",
                intact=False, valid=False, trusted=False, covers_whole_file=False,
                details=f"the signature cannot be checked: {exc}"))
            continue
        cert = status.signing_cert
        cn = cert.subject.native.get("common_name") if cert is not None else None
        reports.append(PdfSignatureReport(
            field=sig.field_name, signer=str(cn or "?"),
            signed_at=status.signer_reported_dt,
            certificate_sha256=cert.sha256.hex() if cert is not None else "",
            intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
            covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
            details=status.pretty_print_details()))
    return reports

"""Each member's signing key pair and certificate (through ``cryptography``).

A member gets an ECDSA P-256 key pair and a self-issued X.509 certificate naming them
when they first set their password; a hospital may instead import a certificate it
issued (PKCS#12, RSA or EC).  The private key is stored only encrypted: AES-256-GCM
under a key derived from the member's password with Argon2id (``mdt.auth.PARAMETERS``),
so whoever holds the database file cannot sign without the password, and a wrong
password fails the GCM tag instead of yielding a wrong key.

The stored blob is JSON: ``{"kdf": "argon2id", "t", "m", "p", "salt", "nonce", "ct"}``
(base64 fields), with the key inside as unencrypted PKCS#8 DER.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2.low_level import Type, hash_secret_raw
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from mdt import auth
from mdt.errors import AuthenticationError, FieldProblem, MdtError, ValidationError

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

CERT_YEARS = 10
"""Validity of a self-issued certificate: signed minutes are kept for decades, and a
self-issued certificate is trusted through the registry, not through its dates."""


class WrongPassword(AuthenticationError):
    """The password does not unlock the key (or does not match the member's hash)."""


@dataclass(frozen=True, slots=True)
class MemberKey:
    encrypted_key: str
    """The JSON blob described in the module docstring."""
    certificate_pem: str
    source: str
    """``self`` (issued by the application) or ``pkcs12`` (imported hospital certificate)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _kek(password: str, salt: bytes, t: int, m: int, p: int) -> bytes:
    return hash_secret_raw(password.encode("utf-8"), salt, time_cost=t, memory_cost=m,
                           parallelism=p, hash_len=32, type=Type.ID)


def encrypt_key(key: PrivateKey, password: str) -> str:
    params = auth.PARAMETERS
    salt, nonce = os.urandom(16), os.urandom(12)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    kek = _kek(password, salt, params.time_cost, params.memory_cost, params.parallelism)
    ct = AESGCM(kek).encrypt(nonce, der, b"liver-mdt member key")
    return json.dumps({"kdf": "argon2id", "t": params.time_cost, "m": params.memory_cost,
                       "p": params.parallelism, "salt": _b64(salt), "nonce": _b64(nonce),
                       "ct": _b64(ct)}, sort_keys=True)


def unlock_key(encrypted_key: str, password: str) -> PrivateKey:
    """The private key; WrongPassword when the password does not open it."""
    try:
        blob = json.loads(encrypted_key)
        kek = _kek(password, base64.b64decode(blob["salt"]), int(blob["t"]), int(blob["m"]),
                   int(blob["p"]))
        der = AESGCM(kek).decrypt(base64.b64decode(blob["nonce"]), base64.b64decode(blob["ct"]),
                                  b"liver-mdt member key")
    except InvalidTag as exc:
        raise WrongPassword("the password is not right") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise MdtError("the stored signing key is damaged; ask a coordinator to reset it") from exc
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise MdtError("the stored signing key is of an unsupported kind")
    return key


def _self_certificate(key: ec.EllipticCurvePrivateKey, name: str,
                      institution: str | None) -> x509.Certificate:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, name)]
    if institution:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, institution[:64]))
    attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Liver MDT member"))
    subject = x509.Name(attrs)
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=365 * CERT_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))


def new_member_key(name: str, password: str, institution: str | None = None) -> MemberKey:
    """A fresh ECDSA P-256 key pair and self-issued certificate, the key under ``password``."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _self_certificate(key, name, institution)
    return MemberKey(encrypt_key(key, password),
                     cert.public_bytes(serialization.Encoding.PEM).decode("ascii"), "self")


def rekey(encrypted_key: str, old_password: str, new_password: str) -> str:
    """The same private key under a new password (WrongPassword if ``old_password`` is wrong)."""
    return encrypt_key(unlock_key(encrypted_key, old_password), new_password)


def import_pkcs12(data: bytes, pfx_password: str | None, member_password: str) -> MemberKey:
    """A hospital-issued PKCS#12 (.p12/.pfx): its key re-encrypted under the member's password."""
    try:
        key, cert, _extra = pkcs12.load_key_and_certificates(
            data, pfx_password.encode("utf-8") if pfx_password else None)
    except ValueError as exc:
        raise ValidationError(FieldProblem(
            "certificate", "not a PKCS#12 file, or its password is not right")) from exc
    if key is None or cert is None:
        raise ValidationError(FieldProblem("certificate", "the file holds no key and certificate"))
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValidationError(FieldProblem("certificate", "only RSA and EC keys can sign PDFs here"))
    return MemberKey(encrypt_key(key, member_password),
                     cert.public_bytes(serialization.Encoding.PEM).decode("ascii"), "pkcs12")


# --------------------------------------------------------------------------- signatures


def load_certificate(certificate_pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(certificate_pem.encode("ascii"))


def fingerprint(certificate_pem: str) -> str:
    """SHA-256 of the certificate's DER, hex (as PDF readers show it)."""
    return load_certificate(certificate_pem).fingerprint(hashes.SHA256()).hex()


def subject_name(certificate_pem: str) -> str:
    attrs = load_certificate(certificate_pem).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else load_certificate(certificate_pem).subject.rfc4514_string()


def sign_bytes(key: PrivateKey, data: bytes) -> str:
    """Base64 signature of ``data`` (ECDSA-SHA256 or RSA-PSS-SHA256)."""
    if isinstance(key, rsa.RSAPrivateKey):
        sig = key.sign(data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                         salt_length=padding.PSS.DIGEST_LENGTH), hashes.SHA256())
    else:
        sig = key.sign(data, ec.ECDSA(hashes.SHA256()))
    return _b64(sig)


def verify_bytes(certificate_pem: str, data: bytes, signature_b64: str) -> bool:
    try:
        public = load_certificate(certificate_pem).public_key()
        sig = base64.b64decode(signature_b64)
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(sig, data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                 salt_length=padding.PSS.DIGEST_LENGTH),
                          hashes.SHA256())
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(sig, data, ec.ECDSA(hashes.SHA256()))
        else:
            return False
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def matches(key: PrivateKey, certificate_pem: str) -> bool:
    """True when ``key`` is the private half of the certificate's public key."""
    pub = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    cert_pub = load_certificate(certificate_pem).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pub == cert_pub


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

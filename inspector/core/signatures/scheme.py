"""The `Scheme` base class: verify a request and explain any failure in plain words."""

from __future__ import annotations

from dataclasses import dataclass, replace

from inspector.core.models import CapturedRequest, Header, SigStatus, Verification
from inspector.core.signatures.base import (
    _any_equal,
    _Problem,
    _Received,
    mask,
)
from inspector.core.signatures.diagnose import _DEFAULT_CAUSE, _variant_cause, guess


@dataclass(frozen=True)
class Scheme:
    """One way of signing webhooks. Subclasses supply parsing and computing."""

    name: str
    title: str
    headers: tuple[str, ...]
    """Header names read or written, lower-case, signature header first."""
    guess: tuple[str, ...] = ()
    """Signature headers (lower-case) that suggest this scheme when the sender is unknown."""
    guess_rank: int = 100
    """Order among guessed schemes when several such headers are present: lower first."""

    def sign(
        self,
        secret: str,
        request: CapturedRequest,
        *,
        now: float | None = None,
        msg_id: str | None = None,
    ) -> tuple[Header, ...]:
        """Headers to set so that `request` carries a valid signature over its exact body."""
        raise NotImplementedError

    def verify(
        self, secret: str | None, request: CapturedRequest, *, now: float | None = None
    ) -> Verification:
        """Check the request's signature; explain any failure in plain words."""
        try:
            rec = self._parse(request)
        except _Problem as problem:
            return Verification(problem.status, self.name, self._problem_reason(problem, request))
        received = mask(rec.shown)
        if not secret:
            reason = (
                f"No secret is set for the {self.name} scheme, so the signature cannot be checked."
            )
            return Verification(SigStatus.NO_SECRET, self.name, reason, received=received)
        digests = self._digests(secret, request, rec)
        expected = mask(self._encode(digests[0]))
        if not _any_equal(digests, rec.sigs):
            reason = self._mismatch_reason(secret, request, rec)
            return Verification(SigStatus.INVALID, self.name, reason, expected, received)
        late = self._staleness(rec, now)
        if late:
            reason = f"The signature matches, but {late}."
            return Verification(SigStatus.EXPIRED, self.name, reason, expected, received)
        reason = self._valid_reason(secret, request, rec)
        return Verification(SigStatus.VALID, self.name, reason, expected, received)

    # hooks ---------------------------------------------------------------

    def _parse(self, request: CapturedRequest) -> _Received:
        raise NotImplementedError

    def _digests(self, secret: str, request: CapturedRequest, rec: _Received) -> list[bytes]:
        """Acceptable signatures, the canonical one first."""
        raise NotImplementedError

    def _encode(self, digest: bytes) -> str:
        raise NotImplementedError

    def _staleness(self, rec: _Received, now: float | None) -> str | None:
        return None

    def _valid_reason(self, secret: str, request: CapturedRequest, rec: _Received) -> str:
        if len(rec.sigs) > 1:
            return f"The signature is valid (one of {len(rec.sigs)} signatures matches)."
        return "The signature is valid."

    def _hints(self, secret: str, request: CapturedRequest) -> list[str]:
        hint = self._other_scheme_hint(request)
        return [hint] if hint else []

    # shared --------------------------------------------------------------

    def _matches(self, secret: str, request: CapturedRequest, rec: _Received) -> bool:
        return _any_equal(self._digests(secret, request, rec), rec.sigs)

    def _definite_cause(self, secret: str, request: CapturedRequest, rec: _Received) -> str | None:
        def matches(body: bytes) -> bool:
            return self._matches(secret, replace(request, body=body), rec)

        return _variant_cause(request.body, matches, "The signature")

    def _mismatch_reason(self, secret: str, request: CapturedRequest, rec: _Received) -> str:
        definite = self._definite_cause(secret, request, rec)
        if definite:
            return definite
        hints = self._hints(secret, request)
        if not hints:
            return _DEFAULT_CAUSE
        return " ".join([*hints, "Otherwise: wrong secret, or the body was changed after signing."])

    def _other_scheme_hint(self, request: CapturedRequest) -> str | None:
        found = guess(request)
        if found is None:
            return None
        entry, header = found
        if entry.scheme == self.name or header.lower() in self.headers:
            return None
        names = entry.names
        return f"This request carries a {header} header; the {names} scheme may be the right one."

    def _problem_reason(self, problem: _Problem, request: CapturedRequest) -> str:
        hint = (
            self._other_scheme_hint(request) if problem.status is SigStatus.MISSING_HEADER else None
        )
        return f"{problem.reason} {hint}" if hint else problem.reason

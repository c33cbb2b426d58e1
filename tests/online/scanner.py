"""A stand-in virus scanner for tests: it finds the EICAR test string, as real scanners do."""

from bluelamp.online.evidence import VirusFound


def eicar_only(content: bytes) -> None:
    if b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE" in content:
        raise VirusFound("EICAR test file")

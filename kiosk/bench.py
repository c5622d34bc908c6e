"""How fast is the kiosk's search box? Run by hand, not as a timed test (CI machines vary too much)::

    .venv/bin/python -c "from kiosk.bench import search_p99_ms; print(search_p99_ms())"

Builds a catalogue of ``n`` procedures (the shipped ones repeated with varied names, codes and papers), then
replays citizens typing queries one keystroke at a time and returns the 99th percentile of one search, in ms.
The goal is ≤ 20 ms so the result list follows the finger on a Raspberry Pi.
"""

from __future__ import annotations

import time

from kiosk.catalogue import Catalogue, Procedure, load_catalogue

QUERIES = (
    "dang ky khai sinh",
    "ĐĂNG KÝ THƯỜNG TRÚ",
    "chứng thực bản sao",
    "chung thuc chu ky",
    "cap lai the can cuoc",
    "ho ngheo",
    "giấy phép xây dựng",
    "tách hộ",
    "xac nhan tinh trang hon nhan",
    "đất đai",
)
_VARIATIONS = ("", " (bổ sung)", " tại xã", " trực tuyến", " có yếu tố nước ngoài", " lần đầu")


def build_catalogue(n: int) -> Catalogue:
    base = list(load_catalogue())
    procedures: list[Procedure] = []
    for i in range(n):
        proto = base[i % len(base)]
        variation = _VARIATIONS[(i // len(base)) % len(_VARIATIONS)]
        procedures.append(
            proto.model_copy(
                update={
                    "code": f"9.{i:06d}",
                    "name": proto.name + variation,
                    "papers": (*proto.papers, f"Giấy tờ bổ sung số {i}"),
                }
            )
        )
    return Catalogue(procedures)


def keystrokes(query: str) -> list[str]:
    return [query[:k] for k in range(1, len(query) + 1)]


def search_p99_ms(n: int = 2000, rounds: int = 3) -> float:
    """The 99th-percentile time of one per-keystroke search over ``n`` procedures, in milliseconds."""
    catalogue = build_catalogue(n)
    samples: list[float] = []
    for _ in range(rounds):
        for query in QUERIES:
            for typed in keystrokes(query):
                start = time.perf_counter()
                catalogue.search(typed, limit=20)
                samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return samples[min(len(samples) - 1, int(len(samples) * 0.99))]


if __name__ == "__main__":
    print(f"search p99: {search_p99_ms():.2f} ms over 2000 procedures")

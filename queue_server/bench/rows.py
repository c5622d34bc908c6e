"""``make bench`` rows of the kiosk (issue 5), counter units and displays (issue 4), web statistics (issue 6) and
the province flow: each measured by its own module's function, gathered here into ``(name, goal, value, met)``.

``met`` is None for a row shown for scale only (no goal).
"""

from __future__ import annotations

from queue_server.bench.percentile import percentile

BenchRow = tuple[str, str, str, bool | None]


def kiosk_rows(scale: float) -> list[BenchRow]:
    from queue_server.bench.kiosk import cold_start_s, search_p99_ms, touch_to_print_ms

    search = search_p99_ms(2000)
    cold = max(cold_start_s(3))
    touches = touch_to_print_ms(max(20, int(100 * scale)))
    t99 = percentile(touches, 99)
    return [
        ("kiosk search, 2,000 procedures, p99/keystroke", "<= 20 ms", f"{search:.2f} ms", search <= 20),
        ("kiosk cold start to first frame (max of 3)", "<= 3 s", f"{cold:.2f} s", cold <= 3),
        ("kiosk touch 'Lấy số' -> print job written p99", "<= 300 ms", f"{t99:.1f} ms", t99 <= 300),
    ]


def counter_rows(scale: float) -> list[BenchRow]:
    from queue_server.bench.counter_unit import bench_rows

    return bench_rows(presses=max(20, int(100 * scale)))


def statistics_rows(scale: float) -> list[BenchRow]:
    from queue_server.analytics.projection_bench import (
        office_year_projection_seconds,
        province_year_postgres_seconds,
    )

    year = office_year_projection_seconds(int(60_000 * scale))
    offices = max(10, int(100 * scale))
    province = province_year_postgres_seconds(offices, 60_000)
    dash, xlsx, prov = year["report_year_dashboard_s"], year["xlsx_year_s"], province["province_report_s"]
    return [
        (
            f"dashboard period page, office-year ({int(year['visits']):,} visits), SQLite",
            "<= 200 ms",
            f"{dash * 1000:.0f} ms",
            dash <= 0.2,
        ),
        ("  read model: catch up one new day", "", f"{year['catch_up_day_s'] * 1000:.0f} ms", None),
        ("  read model: first catch-up of the whole year", "", f"{year['catch_up_year_s']:.1f} s", None),
        (
            f"province-year ({offices} offices, {int(province['visits']):,} visits), PostgreSQL",
            "<= 1 s",
            f"{prov * 1000:.0f} ms",
            prov <= 1.0,
        ),
        ("xlsx export of an office-year (report + file)", "<= 2 s", f"{xlsx:.2f} s", xlsx <= 2.0),
        ("  pdf export of an office-year (report + file)", "", f"{year['pdf_year_s']:.2f} s", None),
    ]


def province_rows(scale: float) -> list[BenchRow]:
    from queue_server.province.bench import province_flow_rate

    rate = province_flow_rate(int(2000 * max(scale, 0.5)))
    return [("office -> province events/s (bridge + ingest, SQLite)", "", f"{rate:,.0f}/s", None)]


def simulator_rows(scale: float) -> list[BenchRow]:
    from queue_server.simulate.bench import simulate_rows

    return simulate_rows(scale)


def voice_rows(scale: float) -> list[BenchRow]:
    from queue_server.bench.voice import voice_rows as rows

    return rows(scale)


def device_and_web_rows(scale: float) -> list[BenchRow]:
    from queue_server.bench.forecast import forecast_rows

    return [
        *kiosk_rows(scale),
        *counter_rows(scale),
        *statistics_rows(scale),
        *province_rows(scale),
        *forecast_rows(scale),
        *simulator_rows(scale),
        *voice_rows(scale),
    ]

"""The embedded default under concurrent writers, served as ``make run`` serves it: 8 writers x
200 mixed writes (startups and opportunities created and edited with skills, applications,
saves, follows, likes, messages) end with no "database is locked", no 5xx, and every
acknowledged creation in the database -- whether the file is named by SQLITE_PATH or by a
``sqlite:///`` DATABASE_URL (which used to drop the locking options)."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.writers import writers_run
from tests.support import ROOT, free_port, process_env, wait_until_up

pytestmark = pytest.mark.timeout(300)


@pytest.mark.parametrize("named_by", ["SQLITE_PATH", "DATABASE_URL"])
def test_eight_concurrent_writers_never_see_a_locked_database(
    named_by: str, tmp_path: Path
) -> None:
    path = tmp_path / "db.sqlite3"
    where = (
        {"SQLITE_PATH": str(path)}
        if named_by == "SQLITE_PATH"
        else {"DATABASE_URL": f"sqlite:///{path}"}
    )
    env = process_env(DEBUG="1", LOG_LEVEL="WARNING", RATE_LIMIT_ENABLED="0",
                      **where)  # fmt: skip
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen([*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_until_up(f"http://127.0.0.1:{port}/live/")
        report = writers_run(f"http://127.0.0.1:{port}", writers=8, writes=200)
    finally:
        server.terminate()
        server.wait(timeout=20)

    print(f"{named_by}: {report.writes} writes in {report.seconds:.1f}s, {dict(report.statuses)}")
    assert report.writes == 1600
    assert report.server_errors == []
    assert "database is locked" not in (tmp_path / "server.log").read_text(errors="replace")
    assert set(report.statuses) <= {200, 201, 204, 409}, report.statuses
    with sqlite3.connect(path) as db:
        for table, ids in report.created.items():
            marks = ",".join("?" * len(ids))
            query = f"SELECT count(*) FROM {table} WHERE id IN ({marks})"  # noqa: S608 (our names)
            (found,) = db.execute(query, ids).fetchone()
            assert found == len(ids), table

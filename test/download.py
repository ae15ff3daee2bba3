"""Fetching a source tarball for the on-demand suites (test/posix/run.py,
test/glibc/run.py): a missing network is a clear failure, never a hang."""

import http.client
import shutil
import sys
import urllib.request


def download(url, tarball, timeout):
    """Exit 2 with the reason when the server cannot be reached or stops
    answering for `timeout` seconds (no network: without a timeout the
    connect or the first read waits for ever)."""
    print("downloading", url, file=sys.stderr)
    # Into a side file: an interrupted download leaves no tarball behind.
    part = tarball.with_name(tarball.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply, \
                open(part, "wb") as out:
            shutil.copyfileobj(reply, out)
    except (OSError, http.client.HTTPException) as e:
        part.unlink(missing_ok=True)
        reason = getattr(e, "reason", None) or e
        print("run.py: cannot download %s: %s" % (url, reason),
              file=sys.stderr)
        sys.exit(2)
    part.rename(tarball)

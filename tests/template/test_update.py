"""`make template-update` from a newer template commit: pipeline files follow the template,
the adopter's commits and files stay, and a pipeline file the adopter edited is reported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.template.conftest import git, run


def test_template_update_brings_pipeline_changes_and_keeps_the_adopters_own(
    template_clone: Callable[[str], Path],
) -> None:
    project = template_clone("acme-notes")
    run(project, "make", "--no-print-directory", "adopt", "NAME=acme-notes")

    # The adopter's own work: a file of theirs, and an edit to a pipeline file.
    (project / "src" / "acme_notes" / "mine.py").write_text('"""Mine."""\n\nVALUE = 1\n')
    servers = project / "scripts" / "servers.py"
    servers.write_text(servers.read_text() + "\n\n# tuned for our CI\n")
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "Our own work")
    ours = git(project, "rev-parse", "HEAD")

    # A newer template: one pipeline file changed, one added, one the adopter also changed.
    newer = template_clone("template-newer")
    guide = newer / "docs" / "RENDER_DEPLOYMENT.md"
    guide.write_text(guide.read_text() + "\nA note from the newer template.\n")
    (newer / "scripts" / "newtool.py").write_text('"""A new pipeline module."""\n')
    upstream_servers = newer / "scripts" / "servers.py"
    upstream_servers.write_text(upstream_servers.read_text() + "\n\n# upstream change\n")
    git(newer, "add", "-A")
    git(newer, "commit", "--quiet", "-m", "Newer pipeline")
    newer_commit = git(newer, "rev-parse", "HEAD")

    out = run(project, "make", "--no-print-directory", "template-update", f"FROM={newer}").stdout
    assert "updated docs/RENDER_DEPLOYMENT.md" in out
    assert "updated scripts/newtool.py" in out
    assert "kept scripts/servers.py: you changed it" in out
    assert "+# upstream change" in out  # the diff against the template's version
    assert "A note from the newer template." in (project / "docs/RENDER_DEPLOYMENT.md").read_text()
    assert (project / "scripts" / "newtool.py").is_file()
    assert servers.read_text().endswith("# tuned for our CI\n")  # not overwritten
    assert (project / "src" / "acme_notes" / "mine.py").read_text().endswith("VALUE = 1\n")
    assert git(project, "rev-parse", "HEAD~1") == ours  # our history is intact, one commit on top
    assert git(project, "status", "--porcelain") == ""
    assert f'commit = "{newer_commit}"' in (project / ".template.toml").read_text()

    again = run(project, "make", "--no-print-directory", "template-update", f"FROM={newer}").stdout
    assert "up to date" in again
    assert "you changed scripts/servers.py" in again

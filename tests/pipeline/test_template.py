"""scripts.template: names, renames, ownership, the record, and the update plan, on small trees.

Adopting the real template and updating it end to end is tested in the template itself
(tests/template/, `make test-adoption`); these run in every adopted project.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.proc import ScriptError, UsageError
from scripts.template import adopt, update
from scripts.template.files import Ownership, digest, parse_ownership
from scripts.template.names import Names, project_names
from scripts.template.record import Record, read_record, write_record
from scripts.template.rename import mentions, rename_text
from tests.pipeline.gitrepo import commit_all, git, make_repo

OLD = Names.of("quotebot")
NEW = Names.of("acme-notes")


def test_names_of_a_hyphenated_name_give_every_form() -> None:
    assert (
        Names(
            dist="acme-notes",
            package="acme_notes",
            title="Acme Notes",
            constant="ACME_NOTES",
            camel="AcmeNotes",
        )
        == NEW
    )


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("Acme_Notes", "use NAME=acme-notes"),
        ("acme notes", "use NAME=acme-notes"),
        ("acme--notes", "use NAME=acme-notes"),
        ("3d-notes", "start with a letter"),
        ("", "start with a letter"),
        ("json", "shadows another module"),
        ("class", "shadows a Python keyword"),
        ("tests", "shadows another module"),
    ],
)
def test_project_names_refuses_with_the_form_to_use(given: str, shown: str) -> None:
    with pytest.raises(UsageError, match=shown):
        project_names(given)


def test_project_names_accepts_a_normalized_name() -> None:
    assert project_names("acme-notes").package == "acme_notes"


def test_rename_text_in_python_replaces_package_class_and_title() -> None:
    source = (
        "from quotebot.errors import QuotebotError\n"
        'app = FastAPI(title="Quotebot")\n'
        'PREFIX = "QUOTEBOT_"\n'
    )
    assert rename_text(source, OLD, NEW, {"errors"}, python=True) == (
        "from acme_notes.errors import AcmeNotesError\n"
        'app = FastAPI(title="Acme Notes")\n'
        'PREFIX = "ACME_NOTES_"\n'
    )


def test_rename_text_elsewhere_tells_the_package_from_the_distribution() -> None:
    text = (
        'name = "quotebot"\n'
        'packages = ["src/quotebot"]\n'
        '"quotebot.storage" = "db"\n'
        "https://quotebot.onrender.com and `import quotebot`\n"
    )
    assert rename_text(text, OLD, NEW, {"storage"}, python=False) == (
        'name = "acme-notes"\n'
        'packages = ["src/acme_notes"]\n'
        '"acme_notes.storage" = "db"\n'
        "https://acme-notes.onrender.com and `import acme_notes`\n"
    )


def test_rename_text_leaves_longer_words_alone() -> None:
    assert rename_text("quotebots quotebot_extra", OLD, NEW, set(), python=False) == (
        "quotebots quotebot_extra"
    )


def test_mentions_finds_paths_and_text_in_any_case(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("About QuoteBot.\n")
    (tmp_path / "quotebot.txt").write_text("nothing\n")
    (tmp_path / "b.md").write_text("clean\n")
    assert mentions(tmp_path, ["a.md", "quotebot.txt", "b.md"], "quotebot") == [
        "a.md",
        "quotebot.txt",
    ]


def test_ownership_globs_and_template_only_files() -> None:
    ownership = parse_ownership(
        'pipeline = ["scripts/**", "docs/GUIDE.md"]\ntemplate-only = ["scripts/skel/**"]\n', "t"
    )
    assert ownership == Ownership(("scripts/**", "docs/GUIDE.md"), ("scripts/skel/**",))
    assert ownership.is_pipeline("scripts/deep/x.py")
    assert ownership.is_pipeline("docs/GUIDE.md")
    assert not ownership.is_pipeline("docs/OTHER.md")
    assert not ownership.is_pipeline("scripts/skel/pyproject.toml")
    assert ownership.is_template_only("scripts/skel/pyproject.toml")


def test_record_round_trips(tmp_path: Path) -> None:
    record = Record("https://example.invalid/t.git", "a" * 40, "acme-notes", "dropped",
                    {"scripts/x.py": digest(b"x"), 'odd "name".py': digest(b"y")})  # fmt: skip
    write_record(tmp_path, record)
    assert read_record(tmp_path) == record


def test_record_absent_is_none(tmp_path: Path) -> None:
    assert read_record(tmp_path) is None


def record_of(files: dict[str, bytes]) -> Record:
    return Record(
        "src", "c" * 40, "acme-notes", "dropped", {k: digest(v) for k, v in files.items()}
    )


def test_plan_update_replaces_untouched_adds_new_removes_dropped(tmp_path: Path) -> None:
    (tmp_path / "same.py").write_bytes(b"v1")
    (tmp_path / "gone.py").write_bytes(b"old")
    record = record_of({"same.py": b"v1", "gone.py": b"old"})
    plan = update.plan_update(tmp_path, record, {"same.py": b"v2", "new.py": b"n"}, force=False)
    assert plan.write == {"same.py": b"v2", "new.py": b"n"}
    assert plan.remove == ["gone.py"]
    assert plan.kept == {}


def test_plan_update_keeps_a_file_the_adopter_changed_and_shows_the_diff(tmp_path: Path) -> None:
    (tmp_path / "tuned.py").write_bytes(b"x = 1\nours = True\n")
    record = record_of({"tuned.py": b"x = 1\n"})
    plan = update.plan_update(tmp_path, record, {"tuned.py": b"x = 2\n"}, force=False)
    assert plan.write == {}
    assert "-ours = True" in plan.kept["tuned.py"]
    assert "+x = 2" in plan.kept["tuned.py"]


def test_plan_update_force_replaces_a_changed_file(tmp_path: Path) -> None:
    (tmp_path / "tuned.py").write_bytes(b"ours\n")
    record = record_of({"tuned.py": b"theirs\n"})
    plan = update.plan_update(tmp_path, record, {"tuned.py": b"newer\n"}, force=True)
    assert plan.write == {"tuned.py": b"newer\n"}


def test_plan_update_nothing_when_already_current(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(b"same")
    plan = update.plan_update(tmp_path, record_of({"a.py": b"old"}), {"a.py": b"same"}, force=False)
    assert plan.empty


def template_copy(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "copy")
    (repo / adopt.SKELETON).mkdir(parents=True)
    (repo / adopt.SKELETON / "README.md").write_text("skeleton\n")
    commit_all(repo, "A template")
    return repo


def test_adopt_refuses_a_dirty_tree(tmp_path: Path, isolated_git: None) -> None:
    repo = template_copy(tmp_path)
    (repo / "wip.txt").write_text("wip\n")
    with pytest.raises(UsageError, match=r"uncommitted changes \(wip.txt"):
        adopt.check_ready(repo)


def test_adopt_refuses_a_second_run(tmp_path: Path, isolated_git: None) -> None:
    repo = template_copy(tmp_path)
    write_record(repo, record_of({}))
    commit_all(repo, "Adopted")
    with pytest.raises(UsageError, match="was adopted already as 'acme-notes'"):
        adopt.check_ready(repo)


def test_adopt_refuses_what_is_not_the_template(tmp_path: Path, isolated_git: None) -> None:
    repo = make_repo(tmp_path / "other")
    with pytest.raises(UsageError, match="is not a copy of the template"):
        adopt.check_ready(repo)


def test_adopt_main_bad_name_exits_2_and_names_the_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert adopt.main(["--name", "Acme_Notes", "--repo", str(tmp_path)]) == 2
    assert "use NAME=acme-notes" in capsys.readouterr().err


def test_update_without_a_record_exits_2(
    tmp_path: Path, isolated_git: None, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "project")
    assert update.main(["--from", str(tmp_path), "--repo", str(repo)]) == 2
    assert "adopt the template first" in capsys.readouterr().err


def test_update_refuses_a_dirty_tree(tmp_path: Path, isolated_git: None) -> None:
    repo = make_repo(tmp_path / "project")
    write_record(repo, record_of({}))
    commit_all(repo, "Adopted")
    (repo / "wip.txt").write_text("wip\n")
    with pytest.raises(UsageError, match="uncommitted changes"):
        update.update(repo, str(tmp_path), None, force=False)
    assert git(repo, "status", "--porcelain") == "?? wip.txt"


# --- whole runs on small repositories (no network: re-locking is replaced) -----------------

SKELETON = "scripts/template/skeleton"
FILES_TOML = 'pipeline = ["scripts/**"]\ntemplate-only = ["scripts/template/skeleton/**"]\n'


def pyproject(name: str, package: str, tools: str = '"pytest>=8"') -> str:
    return (
        f'[project]\nname = "{name}"\nversion = "0.1.0"\n\n'
        f"[dependency-groups]\npipeline = [{tools}]\n\n"
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[tool.hatch.build.targets.wheel]\npackages = ["src/{package}"]\n'
    )


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@pytest.fixture
def template(tmp_path: Path, isolated_git: None) -> Path:
    """A small template: a pipeline file, an example named quotebot, and a skeleton."""
    repo = make_repo(tmp_path / "template")
    write(repo, {
        "scripts/template/files.toml": FILES_TOML,
        "scripts/tool.py": '"""A pipeline module."""\n',
        "pyproject.toml": pyproject("quotebot", "quotebot"),
        "src/quotebot/__init__.py": '"""Quotebot: quotes."""\nfrom quotebot.store import Store\n',
        "src/quotebot/store.py": "class Store:\n    pass\n",
        "README.md": "# Quotebot\n\nSee https://quotebot.onrender.com.\n",
        "Makefile": "fast-check:\n\t@echo the fast gates pass\n",
        f"{SKELETON}/pyproject.toml": pyproject("service-template", "service_template"),
        "scripts/template/skeleton/src/service_template/__init__.py": (
            '"""Service Template."""\nfrom service_template.app import ServiceTemplateError\n'
        ),
        "scripts/template/skeleton/src/service_template/app.py": (
            "class ServiceTemplateError(Exception):\n    pass\n"
        ),
        "scripts/template/skeleton/README.md": "# Service Template\n",
        "scripts/template/skeleton/Makefile": "fast-check:\n\t@echo the fast gates pass\n",
    })  # fmt: skip
    commit_all(repo, "A template")
    return repo


@pytest.fixture
def no_relock(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Adoption without `uv lock`, `uv sync` and `make render-reqs`, which need PyPI."""
    calls: list[Path] = []
    monkeypatch.setattr(adopt, "relock_and_compile", lambda root, files: calls.append(root))
    return calls


def test_adopt_dropping_the_example_writes_the_skeleton_renamed_in_one_commit(
    template: Path, no_relock: list[Path]
) -> None:
    before = git(template, "rev-parse", "HEAD")
    adopt.adopt(template, NEW, keep=False)
    assert no_relock == [template]
    assert git(template, "rev-parse", "HEAD~1") == before
    assert git(template, "status", "--porcelain") == ""
    assert (template / "src/acme_notes/__init__.py").read_text() == (
        '"""Acme Notes."""\nfrom acme_notes.app import AcmeNotesError\n'
    )
    assert 'name = "acme-notes"' in (template / "pyproject.toml").read_text()
    assert not (template / "src/quotebot").exists()
    assert not (template / "scripts/template/skeleton").exists()
    assert (template / "scripts/tool.py").is_file()  # the pipeline stays
    record = read_record(template)
    assert record is not None and record.commit == before and record.example == "dropped"
    assert set(record.files) == {"scripts/template/files.toml", "scripts/tool.py"}


def test_adopt_keeping_the_example_renames_it(template: Path, no_relock: list[Path]) -> None:
    adopt.adopt(template, NEW, keep=True)
    assert (template / "src/acme_notes/__init__.py").read_text() == (
        '"""Acme Notes: quotes."""\nfrom acme_notes.store import Store\n'
    )
    assert (template / "README.md").read_text() == (
        "# Acme Notes\n\nSee https://acme-notes.onrender.com.\n"
    )
    assert not (template / "src/quotebot").exists()
    record = read_record(template)
    assert record is not None and record.example == "kept"


def test_adopt_leftover_mention_fails_and_commits_nothing(
    template: Path, no_relock: list[Path]
) -> None:
    (template / "NOTES.txt").write_text("the QUOTE-BOT old name, spelled oddly: quoteBot\n")
    commit_all(template, "A note")
    head = git(template, "rev-parse", "HEAD")
    with pytest.raises(ScriptError, match=r"'quotebot' is still mentioned in NOTES.txt"):
        adopt.adopt(template, NEW, keep=True)
    assert git(template, "rev-parse", "HEAD") == head


def adopted_project(template: Path, tmp_path: Path, no_relock: list[Path]) -> Path:
    project = tmp_path / "project"
    git(tmp_path, "clone", "--quiet", str(template), str(project))
    git(project, "config", "user.email", "adopter@example.invalid")
    git(project, "config", "user.name", "Adopter")
    adopt.adopt(project, NEW, keep=True)
    return project


def test_update_brings_the_pipeline_keeps_edits_and_commits(
    template: Path, tmp_path: Path, no_relock: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project = adopted_project(template, tmp_path, no_relock)
    write(project, {"scripts/tool.py": '"""A pipeline module, tuned here."""\n'})
    commit_all(project, "Tune the tool")
    ours = git(project, "rev-parse", "HEAD")
    write(template, {
        "scripts/tool.py": '"""A pipeline module, version 2."""\n',
        "scripts/new.py": '"""A new pipeline module."""\n',
        "pyproject.toml": pyproject("quotebot", "quotebot", '"pytest>=8", "ruff>=0.8"'),
    })  # fmt: skip
    newer = commit_all(template, "A newer pipeline")

    assert update.main(["--from", str(template), "--repo", str(project)]) == 0

    out = capsys.readouterr().out
    assert "updated scripts/new.py" in out
    assert "kept scripts/tool.py: you changed it" in out
    assert '+"""A pipeline module, version 2."""' in out
    assert "the pipeline now uses ruff>=0.8: `uv add --group pipeline 'ruff>=0.8'`" in out
    assert (project / "scripts/tool.py").read_text() == '"""A pipeline module, tuned here."""\n'
    assert git(project, "rev-parse", "HEAD~1") == ours
    record = read_record(project)
    assert record is not None and record.commit == newer

    assert update.main(["--from", str(template), "--repo", str(project)]) == 0
    again = capsys.readouterr().out
    assert "up to date" in again and "you changed scripts/tool.py" in again


def test_update_failing_gates_exit_1_and_leave_the_changes_to_review(
    template: Path, tmp_path: Path, no_relock: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project = adopted_project(template, tmp_path, no_relock)
    write(project, {"Makefile": "fast-check:\n\t@exit 1\n"})
    commit_all(project, "Gates that fail")
    write(template, {"scripts/tool.py": '"""Version 2."""\n'})
    commit_all(template, "A newer pipeline")

    assert update.main(["--from", str(template), "--repo", str(project)]) == 1

    assert "the fast gates fail after the update" in capsys.readouterr().err
    assert "M scripts/tool.py" in git(project, "status", "--porcelain")


def test_update_unknown_ref_exits_2(
    template: Path, tmp_path: Path, no_relock: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project = adopted_project(template, tmp_path, no_relock)
    assert update.main(["--from", str(template), "--ref", "v9", "--repo", str(project)]) == 2
    assert "REF='v9' is not a branch, tag or commit" in capsys.readouterr().err

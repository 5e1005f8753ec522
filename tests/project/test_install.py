"""The install is reproducible: the README's install command and .ci/run's are one and the same,
and both install within constraints.txt, which pins every package to one exact version."""

import re
import tomllib

from tests.support.process import REPO

INSTALL = 'pip install -e ".[test]" -c constraints.txt'
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)$")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_readme_and_ci_install_the_same_way_within_the_constraints():
    readme = [line for line in (REPO / "README.md").read_text().splitlines() if line.rstrip().endswith("# install")]
    ci = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines() if "pip install -e" in line]
    assert ci == [INSTALL]
    assert len(readme) == 1 and INSTALL in readme[0] and readme[0].split("&&")[-1].split("#")[0].strip() == INSTALL


def test_every_dependency_is_pinned_to_one_exact_version():
    pins: dict[str, str] = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = PIN.match(line.strip())
        assert match, f"not an exact pin: {line!r}"
        assert normalise(match[1]) not in pins, f"pinned twice: {line!r}"
        pins[normalise(match[1])] = match[2]
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *(d for extra in project["optional-dependencies"].values() for d in extra)]
    names = {normalise(re.split(r"[\[<>=!~ ;]", spec, maxsplit=1)[0]) for spec in wanted} - {"lapordesa"}
    assert names <= set(pins), f"not pinned: {sorted(names - set(pins))}"

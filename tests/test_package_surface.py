"""The package surface new users reach first: attributes after `import zipfian_envs`, the citation file."""

import pathlib
import subprocess
import sys


def test_vector_is_an_attribute_after_importing_the_package_alone():
    """`zipfian_envs.vector.to_sb3` resolves in a fresh interpreter that imported only `zipfian_envs`."""
    code = "import zipfian_envs; print(callable(zipfian_envs.vector.to_sb3))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_citation_file_is_valid_yaml_naming_the_software_and_the_paper():
    """CITATION.cff carries the top-level fields the CFF 1.2.0 schema requires (read without a YAML dependency)."""
    path = pathlib.Path(__file__).resolve().parents[1] / "CITATION.cff"
    top_level = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith((" ", "#")) and ":" in line:
            key, _, value = line.partition(":")
            top_level[key] = value.strip().strip('"')
    for required in ("cff-version", "message", "title", "authors"):
        assert required in top_level, f"CITATION.cff lacks {required!r}"
    assert top_level["cff-version"] == "1.2.0" and top_level["type"] == "software"
    assert top_level["title"] == "zipfian-envs" and "preferred-citation" in top_level

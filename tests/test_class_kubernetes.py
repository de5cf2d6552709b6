"""The Zero to JupyterHub configuration (deploy/kubernetes/) is checked without a cluster.

No Kubernetes cluster or ``helm`` is at hand, and the chart's own values schema is
published with the Helm chart only (not on PyPI or npm), so it is not used here.
Instead this file checks what the chart and the hub will do with our values:

* only keys the chart knows, at the places it reads them;
* the hub's ``hub.config`` and ``hub.extraConfig``, applied to a real traitlets
  configuration as the chart's ``jupyterhub_config.py`` does, give a working
  :class:`ClassAuthenticator` (importable, every setting one of its traits);
* the roles use JupyterHub's real scopes; the service's program exists;
* the trainee image's settings (memory, CPU, storage, start page, start hook)
  are valid values for KubeSpawner's settings and point at the kit's real files;
* the Dockerfile builds the images from the kit's own files.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")
pytest.importorskip("jupyterhub")

from jupyterhub.auth import Authenticator  # noqa: E402
from jupyterhub.scopes import scope_definitions  # noqa: E402
from jupyterhub.traitlets import ByteSpecification  # noqa: E402
from traitlets import HasTraits  # noqa: E402
from traitlets.config import Config  # noqa: E402

import coprod_sim  # noqa: E402
from coprod_sim.classroom import report  # noqa: E402
from coprod_sim.cli import build_parser  # noqa: E402
from coprod_sim.workspace import FIRST_NOTEBOOK  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy" / "kubernetes"

# Keys of the chart's values (Zero to JupyterHub 4.x), where our file uses them.
TOP = {"fullnameOverride", "nameOverride", "enabled", "imagePullSecret", "imagePullSecrets",
       "hub", "proxy", "singleuser", "scheduling", "ingress", "httpRoute", "prePuller",
       "custom", "cull", "debug", "rbac", "global"}
HUB = {"revisionHistoryLimit", "config", "service", "baseUrl", "cookieSecret",
       "initContainers", "nodeSelector", "tolerations", "concurrentSpawnLimit",
       "consecutiveFailureLimit", "activeServerLimit", "deploymentStrategy", "db", "labels",
       "annotations", "command", "args", "extraConfig", "extraFiles", "extraEnv",
       "extraContainers", "extraVolumes", "extraVolumeMounts", "image", "resources",
       "podSecurityContext", "containerSecurityContext", "lifecycle", "loadRoles",
       "services", "pdb", "existingSecret", "serviceAccount", "extraPodSpec",
       "networkPolicy", "allowNamedServers", "namedServerLimitPerUser",
       "authenticatePrometheus", "redirectToServer", "shutdownOnLogout", "templatePaths",
       "templateVars", "livenessProbe", "readinessProbe", "debug"}
SINGLEUSER = {"podNameTemplate", "extraTolerations", "nodeSelector", "extraNodeAffinity",
              "extraPodAffinity", "extraPodAntiAffinity", "networkTools", "serviceAccountName",
              "cloudMetadata", "networkPolicy", "events", "extraAnnotations", "extraLabels",
              "extraEnv", "lifecycleHooks", "initContainers", "extraContainers",
              "allowPrivilegeEscalation", "uid", "fsGid", "storage", "image",
              "startTimeout", "cpu", "memory", "extraResource", "cmd", "defaultUrl",
              "extraPodConfig", "profileList", "extraFiles"}
CULL = {"enabled", "users", "adminUsers", "removeNamedServers", "timeout", "every",
        "concurrency", "maxAge"}


@pytest.fixture(scope="module")
def values():
    return yaml.safe_load((DEPLOY / "values.yaml").read_text())


def test_values_use_only_keys_the_chart_reads(values):
    assert set(values) <= TOP
    assert set(values["hub"]) <= HUB
    assert set(values["singleuser"]) <= SINGLEUSER
    assert set(values["cull"]) <= CULL
    assert set(values["singleuser"]["memory"]) <= {"limit", "guarantee"}
    assert set(values["singleuser"]["cpu"]) <= {"limit", "guarantee"}
    assert set(values["hub"]["image"]) <= {"name", "tag", "pullPolicy", "pullSecrets"}


def _hub_config(values, monkeypatch) -> Config:
    """What the chart's jupyterhub_config.py makes of hub.config and hub.extraConfig."""
    c = Config()
    for section, settings in values["hub"]["config"].items():
        for key, value in settings.items():
            setattr(getattr(c, section), key, value)
    monkeypatch.setenv("COPROD_CLASS_CODE", "Q4R8T2")
    monkeypatch.setenv("COPROD_TRAINER_CODE", "ABCDEFGHJKLM")
    for name, snippet in values["hub"]["extraConfig"].items():
        exec(compile(snippet, f"extraConfig.{name}", "exec"), {"c": c})  # noqa: S102
    return c


def test_the_hub_gets_the_class_login_with_codes_from_the_secret(values, monkeypatch):
    c = _hub_config(values, monkeypatch)
    module, _, name = c.JupyterHub.authenticator_class.rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, Authenticator)
    traits = cls.class_traits(config=True)
    for key in values["hub"]["config"][name]:
        assert key in traits, f"{name}.{key} is not a setting of {cls.__name__}"
    auth = cls(config=c)
    assert (auth.class_code, auth.trainer_code) == ("Q4R8T2", "ABCDEFGHJKLM")
    assert callable(c.JupyterHub.default_url)
    # the codes come from a secret, never from the values file
    text = (DEPLOY / "values.yaml").read_text()
    for key in ("class_code", "trainer_code"):
        ref = values["hub"]["extraEnv"][f"COPROD_{key.split('_')[0].upper()}_CODE"]
        assert ref["valueFrom"]["secretKeyRef"]["key"] == key
    assert "Q4R8T2" not in text and "class_code" not in values["hub"]["config"][name]


def test_roles_use_real_scopes_and_the_service_exists(values):
    for role in values["hub"]["loadRoles"].values():
        for scope in role["scopes"]:
            assert scope.split("!")[0] in scope_definitions, scope
    service = values["hub"]["services"]["class"]
    assert service["command"][1:3] == ["-m", "coprod_sim.classroom.service"]
    assert callable(importlib.import_module("coprod_sim.classroom.service").main)
    assert service["environment"]["COPROD_CLASS_FOLDER"].startswith("/srv/jupyterhub/")
    port = int(service["url"].rsplit(":", 1)[1])
    assert {"name": "class", "port": port, "targetPort": port} in \
        values["hub"]["service"]["extraPorts"]
    assert values["hub"]["networkPolicy"]["ingress"][0]["ports"] == [{"port": port}]
    bets = values["singleuser"]["extraEnv"][report.BETS_URL_ENV]
    assert bets == f"{service['url']}/services/class/api/bet"


def test_trainee_servers_get_valid_limits_and_their_own_folder(values):
    su = values["singleuser"]

    class Spec(HasTraits):
        size = ByteSpecification()

    for key in ("limit", "guarantee"):
        Spec(size=su["memory"][key])  # raises for a size KubeSpawner would refuse
        assert float(su["cpu"][key]) > 0
    assert Spec(size=su["memory"]["guarantee"]).size < Spec(size=su["memory"]["limit"]).size
    assert su["storage"]["type"] in {"dynamic", "static", "none"}
    assert re.fullmatch(r"\d+(Mi|Gi)", su["storage"]["capacity"])
    assert su["image"]["tag"] == coprod_sim.__version__
    assert values["hub"]["image"]["tag"] == coprod_sim.__version__
    hook = su["lifecycleHooks"]["postStart"]["exec"]["command"]
    assert hook[0] == "coprod-sim"
    args = build_parser().parse_args(hook[1:])
    assert args.no_lab and args.folder == "/home/jovyan/coprod-sim"
    folder = Path(args.folder).relative_to(su["storage"]["homeMountPath"])
    assert su["defaultUrl"] == f"/lab/tree/{folder}/{FIRST_NOTEBOOK}"
    assert su["cmd"] == "jupyterhub-singleuser"
    assert values["cull"]["enabled"] and values["cull"]["timeout"] > 0


def test_the_dockerfile_builds_both_images_from_the_kits_own_files(values):
    text = (DEPLOY / "Dockerfile").read_text()
    stages = {name: image for image, name in re.findall(r"^FROM (\S+) AS (\S+)$", text, re.M)}
    assert set(stages) == {"wheel", "singleuser", "hub"}
    assert stages["hub"].startswith("quay.io/jupyterhub/k8s-hub:")
    chart = re.search(r"--version (\S+)", (DEPLOY / "values.yaml").read_text()).group(1)
    assert stages["hub"].endswith(f":{chart}")
    assert "COPY . /src" in text and "python -m build --wheel" in text
    assert text.count("/tmp/wheels/coprod_sim-*.whl") == 2
    assert '"jupyterhub==5.*"' in text  # chart 4.x runs JupyterHub 5
    assert 'CMD ["jupyterhub-singleuser"]' in text
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert {".git", ".venv", ".kit-node", "workspace", "my_work"} <= set(ignored)
    assert not {"coprod_sim", "pyproject.toml", "README.md", "LICENSE"} & set(ignored)
    for name in ("pyproject.toml", "README.md", "LICENSE", "coprod_sim"):
        assert (ROOT / name).exists()
    readme = (DEPLOY / "README.md").read_text()
    assert "values.yaml" in readme and "Dockerfile" in readme

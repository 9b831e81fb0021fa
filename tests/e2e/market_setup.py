"""A provider with a worker and a requester's active lease, on a running node: what the market
and compute end-to-end tests and scripts/bench_verdict.py set up.

``open_market`` funds a provider and a requester from a funded wallet, registers the provider
with its worker's output server as its endpoint, offers four GPUs of one class, starts the
worker (``depind worker``, or a misbehaving variant from tests/e2e), and has the requester
order one GPU; it returns once the worker has accepted the lease. ``warm_up_kernels``
compiles gpu/'s kernels once before the agents need them.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from node.keys.hd import PrivateKey
from node.keys.keyring import Keyring
from tests.e2e.harness import DENOM, REPO_ROOT, DepindProcess, Wallet, eventually, free_port
from vm.market.msgs import MsgCreateOffer, MsgCreateOrder
from vm.market.types import GpuClass, Pricing, Requirements
from vm.msg import Msg
from vm.provider.msgs import GpuSpec, MsgRegisterProvider
from vm.types import Coin

GAS = 500_000
FEE = 5_000
RATE = 3_600_000  # udepin per GPU-hour
LEASE_S = 3_600
DEPOSIT = RATE * LEASE_S // 3_600  # one GPU for the lease
COLLATERAL = 5_000_000
FUNDS = 100_000_000
OFFERED_GPUS = 4
H100 = GpuClass("NVIDIA H100 80GB HBM3", 81_559, "9.0")
L4 = GpuClass("NVIDIA L4", 23_034, "8.9")
A100 = GpuClass("NVIDIA A100-SXM4-80GB", 81_920, "8.0")

# gpu/'s compiled kernels are cached on disk (numba cache=True). On a fresh checkout the first
# job would compile them in every worker and validator at once, minutes on two cores: compile
# them once here, through the paths the agents take (run, commit, check a fetched file).
WARM_UP = """
import sys
from pathlib import Path
from gpu.backend import NumpyBackend
from gpu.commit import canonical_bytes
from gpu.jobs import GemmSpec
from gpu.run import run_job
from node.outputs.check import check_outputs
from node.outputs.hashing import OutputHasher
spec = GemmSpec(m=256, k=64, n=512, bound=8, seed=1)  # 512 KiB: past gpu/commit.py's FAST_LEAVES
result = run_job(spec, NumpyBackend())
path = Path(sys.argv[1])
path.write_bytes(b"".join(canonical_bytes(output) for output in result.outputs))
assert check_outputs(spec, path, result.result_root, b"warm-up", bytes(32), 3).verdict == "valid"
hasher = OutputHasher([(256, 512)])  # a fetch hashes what it receives: read-only bytes
hasher.update(path.read_bytes())
assert hasher.root() == result.output_root
"""


def warm_up_kernels(work: Path) -> None:
    command = [sys.executable, "-c", WARM_UP, str(work / "warm-up.bin")]
    subprocess.run(command, cwd=REPO_ROOT, check=True, timeout=600, capture_output=True)


class WorkerProcess:
    """``depind worker`` (or a misbehaving variant) for the key ``provider`` in ``home``; its
    output server on ``host``, and launched through ``prefix`` when it runs on another host
    (tests/runner/hosts.py)."""

    def __init__(
        self,
        module: str,
        home: Path,
        node: DepindProcess,
        outputs_port: int | None = None,
        withdraw_every: int = 1000,
        host: str = "127.0.0.1",
        prefix: Sequence[str] = (),
    ) -> None:
        self.log_path = home / "worker.log"
        self._log = self.log_path.open("wb")
        command = [
            *prefix,
            sys.executable,
            "-m",
            module,
            "worker",
            "--home",
            str(home),
            "--keyring-backend",
            "test",
        ]
        command += ["--from", "provider", "--node", node.url, "--backend", "numpy"]
        command += ["--withdraw-every", str(withdraw_every)]
        if outputs_port is not None:
            command += ["--outputs-listen", f"{host}:{outputs_port}"]
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=self._log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._log.close()
        return code


@dataclass
class Market:
    """A provider, its worker, and a requester's active lease on one of its GPUs."""

    provider: Wallet
    requester: Wallet
    lease_id: int
    worker: WorkerProcess
    home: Path  # the provider's keyring; the requester's is in home / "requester"


def open_market(
    node: DepindProcess,
    funder: Wallet,
    home: Path,
    gpu_class: GpuClass,
    module: str,
    workers: list[WorkerProcess],
    host: str = "127.0.0.1",
    prefix: Sequence[str] = (),
    requester_funds: int = FUNDS,
) -> Market:
    """A funded provider registered with its worker's output server as its endpoint, the
    worker started (appended to ``workers`` at once, so the caller stops it whatever happens
    next), and a requester funded with ``requester_funds`` whose lease on it is accepted. The
    worker runs through ``prefix`` and serves its outputs on ``host``, where the verifiers
    fetch them."""
    provider_key = key_in_keyring(home, "provider")
    requester_key = key_in_keyring(home / "requester", "requester")
    provider_funding = funder.send_msg(provider_key.address, FUNDS)
    submit(node, funder, [provider_funding, funder.send_msg(requester_key.address, requester_funds)])
    provider, requester = Wallet(node, provider_key), Wallet(node, requester_key)
    outputs_port = free_port()
    register = MsgRegisterProvider(
        provider.address,
        [GpuSpec(gpu_class.model, gpu_class.memory_mib, gpu_class.compute_capability, OFFERED_GPUS, [])],
        "eu-west",
        f"http://{host}:{outputs_port}",  # the worker's output server: where verifiers fetch
        Coin(DENOM, 0),
        Coin(DENOM, COLLATERAL),
    )
    offer = MsgCreateOffer(
        provider.address, gpu_class, OFFERED_GPUS, Pricing(RATE, 0, 0, 0), 60, LEASE_S, ["gemm"]
    )
    submit(node, provider, [register])
    submit(node, provider, [offer])
    worker = WorkerProcess(module, home, node, outputs_port, host=host, prefix=prefix)
    workers.append(worker)
    # A lease not accepted within the market's accept window closes: order only once the worker
    # follows the chain (it takes seconds to start on a loaded machine).
    eventually(lambda: "depind.worker: following" in worker.log(), "the worker's start")
    wanted = Requirements([gpu_class.model], 0, "", 1, [], 0, 0, "")
    order = MsgCreateOrder(requester.address, wanted, LEASE_S, RATE, Coin(DENOM, DEPOSIT), 0)
    submit(node, requester, [order])
    (entry,) = node.rpc("leases", requester=requester.address)["leases"]
    lease_id = int(entry["lease"]["id"])
    eventually(
        lambda: node.rpc("lease", id=lease_id)["lease"]["state"] == "active", "the worker's acceptance"
    )
    return Market(provider, requester, lease_id, worker, home)


def key_in_keyring(home: Path, name: str) -> PrivateKey:
    keyring = Keyring(home, backend="test")
    keyring.add(name)
    return keyring.private_key(name)


def submit(node: DepindProcess, wallet: Wallet, messages: list[Msg]) -> int:
    """Broadcast a tx of ``messages``; the height of its block (it must succeed)."""
    result = node.commit_tx(wallet.sign(messages, fee=FEE, gas=GAS))
    wallet.sequence += 1
    return int(result["height"])

"""The route table: (HTTP method, path template) to the gRPC method that answers it.

A template's ``{name}`` segments fill the request field of that name; the gRPC
method's request and response types come from the protobuf descriptor pool, so
a route is one line. Literal segments win over parameters (``blocks/latest``
before ``blocks/{height}``): the table is matched in order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from cosmpy.protos.cosmos.auth.v1beta1 import query_pb2 as _auth  # noqa: F401  (registers the types)
from cosmpy.protos.cosmos.bank.v1beta1 import query_pb2 as _bank  # noqa: F401
from cosmpy.protos.cosmos.base.tendermint.v1beta1 import query_pb2 as _tendermint  # noqa: F401
from cosmpy.protos.cosmos.consensus.v1 import query_pb2 as _consensus  # noqa: F401
from cosmpy.protos.cosmos.distribution.v1beta1 import query_pb2 as _distribution  # noqa: F401
from cosmpy.protos.cosmos.gov.v1 import query_pb2 as _gov  # noqa: F401
from cosmpy.protos.cosmos.gov.v1beta1 import query_pb2 as _gov_v1beta1  # noqa: F401
from cosmpy.protos.cosmos.mint.v1beta1 import query_pb2 as _mint  # noqa: F401
from cosmpy.protos.cosmos.slashing.v1beta1 import query_pb2 as _slashing  # noqa: F401
from cosmpy.protos.cosmos.staking.v1beta1 import query_pb2 as _staking  # noqa: F401
from cosmpy.protos.cosmos.tx.v1beta1 import service_pb2 as _tx  # noqa: F401
from cosmpy.protos.cosmos.upgrade.v1beta1 import query_pb2 as _upgrade  # noqa: F401
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message

from node.rest import messages
from node.rest.errors import method_not_allowed, not_found
from protos.depind.compute.v1 import query_pb2 as _compute  # noqa: F401
from protos.depind.market.v1 import query_pb2 as _market  # noqa: F401
from protos.depind.mint.v1 import cosmos_pb2 as cosmos_mint
from protos.depind.mint.v1 import query_pb2 as _depind_mint  # noqa: F401
from protos.depind.provider.v1 import query_pb2 as _provider  # noqa: F401
from vm import modules as _modules  # noqa: F401  (every message type a tx or an answer may hold)

Prepare = Callable[[Message], None]


@dataclass(frozen=True)
class Route:
    http_method: str
    template: str
    grpc_method: str  # full name, as the descriptor pool knows it: "cosmos.bank.v1beta1.Query.Balance"
    prepare: Prepare | None = field(default=None, compare=False)  # adjusts a request before it is sent
    # The type the answer is read and shown as, where the pool's output type is not the one
    # Cosmos SDK v0.50 answers with (same wire form; see answer_class).
    answer: type[Message] | None = field(default=None, compare=False)

    @property
    def segments(self) -> list[str]:
        return self.template.strip("/").split("/")

    def match(self, segments: list[str]) -> dict[str, str] | None:
        """The path parameters, if ``segments`` fit the template."""
        if len(segments) != len(self.segments):
            return None
        found: dict[str, str] = {}
        for expected, given in zip(self.segments, segments, strict=True):
            if expected.startswith("{"):
                if not given:
                    return None
                found[expected.strip("{}")] = given
            elif expected != given:
                return None
        return found

    @property
    def method(self) -> MethodDescriptor:
        return _method(self.grpc_method)

    @property
    def grpc_path(self) -> str:
        """The ``abci_query`` path: ``/cosmos.bank.v1beta1.Query/Balance``."""
        method = self.method
        return f"/{method.containing_service.full_name}/{method.name}"

    @property
    def request_class(self) -> type[Message]:
        return message_factory.GetMessageClass(self.method.input_type)

    @property
    def response_class(self) -> type[Message]:
        return message_factory.GetMessageClass(self.method.output_type)

    @property
    def answer_class(self) -> type[Message]:
        """The response type, or ``answer`` where set: cosmpy registers Fetch.ai's fork of
        ``cosmos.mint.v1beta1`` (other Params fields) under upstream's names, so the mint
        params are read as depind's copy of upstream's message."""
        return self.answer or self.response_class


@functools.cache
def _method(full_name: str) -> MethodDescriptor:
    return descriptor_pool.Default().FindMethodByName(full_name)


TENDERMINT = "/cosmos/base/tendermint/v1beta1"
TM_SERVICE = "cosmos.base.tendermint.v1beta1.Service"
TX_SERVICE = "cosmos.tx.v1beta1.Service"
STAKING = "/cosmos/staking/v1beta1"
STAKING_QUERY = "cosmos.staking.v1beta1.Query"
DISTRIBUTION = "/cosmos/distribution/v1beta1"
DISTRIBUTION_QUERY = "cosmos.distribution.v1beta1.Query"
MARKET = "/depind/market/v1"
MARKET_QUERY = "depind.market.v1.Query"
COMPUTE = "/depind/compute/v1"
COMPUTE_QUERY = "depind.compute.v1.Query"
GOV = "/cosmos/gov/v1"
GOV_QUERY = "cosmos.gov.v1.Query"
GOV_V1BETA1 = "/cosmos/gov/v1beta1"
GOV_V1BETA1_QUERY = "cosmos.gov.v1beta1.Query"


def gov_routes(prefix: str, service: str) -> list[Route]:
    """x/gov's routes, the same in v1 and v1beta1 (v1 adds the constitution)."""
    proposal = f"{prefix}/proposals/{{proposal_id}}"
    return [
        Route("GET", f"{prefix}/params/{{params_type}}", f"{service}.Params"),
        Route("GET", f"{prefix}/proposals", f"{service}.Proposals"),
        Route("GET", proposal, f"{service}.Proposal"),
        Route("GET", f"{proposal}/deposits", f"{service}.Deposits"),
        Route("GET", f"{proposal}/deposits/{{depositor}}", f"{service}.Deposit"),
        Route("GET", f"{proposal}/votes", f"{service}.Votes"),
        Route("GET", f"{proposal}/votes/{{voter}}", f"{service}.Vote"),
        Route("GET", f"{proposal}/tally", f"{service}.TallyResult"),
    ]


ROUTES = [
    Route("GET", "/cosmos/auth/v1beta1/accounts/{address}", "cosmos.auth.v1beta1.Query.Account"),
    Route("GET", "/cosmos/bank/v1beta1/balances/{address}", "cosmos.bank.v1beta1.Query.AllBalances"),
    Route("GET", "/cosmos/bank/v1beta1/balances/{address}/by_denom", "cosmos.bank.v1beta1.Query.Balance"),
    Route(
        "GET",
        "/cosmos/bank/v1beta1/spendable_balances/{address}",
        "cosmos.bank.v1beta1.Query.SpendableBalances",
    ),
    Route("GET", "/cosmos/bank/v1beta1/supply", "cosmos.bank.v1beta1.Query.TotalSupply"),
    Route("POST", "/cosmos/tx/v1beta1/simulate", f"{TX_SERVICE}.Simulate", messages.simulate_tx_bytes),
    Route("POST", "/cosmos/tx/v1beta1/txs", f"{TX_SERVICE}.BroadcastTx"),
    Route("GET", "/cosmos/tx/v1beta1/txs/{hash}", f"{TX_SERVICE}.GetTx"),
    Route("GET", "/cosmos/tx/v1beta1/txs", f"{TX_SERVICE}.GetTxsEvent"),
    Route("GET", f"{TENDERMINT}/node_info", f"{TM_SERVICE}.GetNodeInfo"),
    Route("GET", f"{TENDERMINT}/blocks/latest", f"{TM_SERVICE}.GetLatestBlock"),
    Route("GET", f"{TENDERMINT}/blocks/{{height}}", f"{TM_SERVICE}.GetBlockByHeight"),
    Route("GET", "/cosmos/consensus/v1/params", "cosmos.consensus.v1.Query.Params"),
    Route(
        "GET",
        "/cosmos/mint/v1beta1/params",
        "cosmos.mint.v1beta1.Query.Params",
        answer=cosmos_mint.CosmosQueryParamsResponse,
    ),
    Route("GET", "/cosmos/mint/v1beta1/inflation", "cosmos.mint.v1beta1.Query.Inflation"),
    Route("GET", "/cosmos/mint/v1beta1/annual_provisions", "cosmos.mint.v1beta1.Query.AnnualProvisions"),
    Route("GET", "/depind/mint/v1/params", "depind.mint.v1.Query.Params"),
    Route("GET", "/depind/provider/v1/providers", "depind.provider.v1.Query.Providers"),
    Route("GET", "/depind/provider/v1/providers/{owner}", "depind.provider.v1.Query.Provider"),
    Route("GET", "/depind/provider/v1/params", "depind.provider.v1.Query.Params"),
    Route("GET", f"{MARKET}/offers", f"{MARKET_QUERY}.Offers"),
    Route("GET", f"{MARKET}/offers/{{id}}", f"{MARKET_QUERY}.Offer"),
    Route("GET", f"{MARKET}/orders", f"{MARKET_QUERY}.Orders"),
    Route("GET", f"{MARKET}/orders/{{id}}", f"{MARKET_QUERY}.Order"),
    Route("GET", f"{MARKET}/leases", f"{MARKET_QUERY}.Leases"),
    Route("GET", f"{MARKET}/leases/{{id}}", f"{MARKET_QUERY}.Lease"),
    Route("GET", f"{MARKET}/price_index", f"{MARKET_QUERY}.PriceIndex", messages.require_gpu_class),
    Route("GET", f"{MARKET}/params", f"{MARKET_QUERY}.Params"),
    Route("GET", f"{COMPUTE}/jobs", f"{COMPUTE_QUERY}.Jobs"),
    Route("GET", f"{COMPUTE}/jobs/{{id}}", f"{COMPUTE_QUERY}.Job"),
    Route("GET", f"{COMPUTE}/jobs/{{job_id}}/attestations", f"{COMPUTE_QUERY}.Attestations"),
    Route("GET", f"{COMPUTE}/jobs/{{job_id}}/verdict", f"{COMPUTE_QUERY}.Verdict"),
    Route("GET", f"{COMPUTE}/jobs/{{job_id}}/chunks", f"{COMPUTE_QUERY}.PostedChunks"),
    Route("GET", f"{COMPUTE}/providers/{{provider}}/stats", f"{COMPUTE_QUERY}.ProviderStats"),
    Route("GET", f"{COMPUTE}/providers/{{provider}}/capacity", f"{COMPUTE_QUERY}.Capacity"),
    Route("GET", f"{COMPUTE}/params", f"{COMPUTE_QUERY}.Params"),
    Route("GET", f"{STAKING}/validators", f"{STAKING_QUERY}.Validators"),
    Route("GET", f"{STAKING}/validators/{{validator_addr}}", f"{STAKING_QUERY}.Validator"),
    Route(
        "GET", f"{STAKING}/validators/{{validator_addr}}/delegations", f"{STAKING_QUERY}.ValidatorDelegations"
    ),
    Route(
        "GET",
        f"{STAKING}/validators/{{validator_addr}}/delegations/{{delegator_addr}}",
        f"{STAKING_QUERY}.Delegation",
    ),
    Route(
        "GET",
        f"{STAKING}/validators/{{validator_addr}}/unbonding_delegations",
        f"{STAKING_QUERY}.ValidatorUnbondingDelegations",
    ),
    Route(
        "GET",
        f"{STAKING}/validators/{{validator_addr}}/delegations/{{delegator_addr}}/unbonding_delegation",
        f"{STAKING_QUERY}.UnbondingDelegation",
    ),
    Route("GET", f"{STAKING}/delegations/{{delegator_addr}}", f"{STAKING_QUERY}.DelegatorDelegations"),
    Route(
        "GET",
        f"{STAKING}/delegators/{{delegator_addr}}/unbonding_delegations",
        f"{STAKING_QUERY}.DelegatorUnbondingDelegations",
    ),
    Route("GET", f"{STAKING}/delegators/{{delegator_addr}}/redelegations", f"{STAKING_QUERY}.Redelegations"),
    Route(
        "GET", f"{STAKING}/delegators/{{delegator_addr}}/validators", f"{STAKING_QUERY}.DelegatorValidators"
    ),
    Route(
        "GET",
        f"{STAKING}/delegators/{{delegator_addr}}/validators/{{validator_addr}}",
        f"{STAKING_QUERY}.DelegatorValidator",
    ),
    Route("GET", f"{STAKING}/pool", f"{STAKING_QUERY}.Pool"),
    Route("GET", f"{STAKING}/params", f"{STAKING_QUERY}.Params"),
    Route("GET", f"{DISTRIBUTION}/params", f"{DISTRIBUTION_QUERY}.Params"),
    Route("GET", f"{DISTRIBUTION}/community_pool", f"{DISTRIBUTION_QUERY}.CommunityPool"),
    Route(
        "GET",
        f"{DISTRIBUTION}/validators/{{validator_address}}",
        f"{DISTRIBUTION_QUERY}.ValidatorDistributionInfo",
    ),
    Route(
        "GET",
        f"{DISTRIBUTION}/validators/{{validator_address}}/outstanding_rewards",
        f"{DISTRIBUTION_QUERY}.ValidatorOutstandingRewards",
    ),
    Route(
        "GET",
        f"{DISTRIBUTION}/validators/{{validator_address}}/commission",
        f"{DISTRIBUTION_QUERY}.ValidatorCommission",
    ),
    Route(
        "GET",
        f"{DISTRIBUTION}/validators/{{validator_address}}/slashes",
        f"{DISTRIBUTION_QUERY}.ValidatorSlashes",
    ),
    Route(
        "GET",
        f"{DISTRIBUTION}/delegators/{{delegator_address}}/rewards/{{validator_address}}",
        f"{DISTRIBUTION_QUERY}.DelegationRewards",
    ),
    Route(
        "GET",
        f"{DISTRIBUTION}/delegators/{{delegator_address}}/rewards",
        f"{DISTRIBUTION_QUERY}.DelegationTotalRewards",
    ),
    Route(
        "GET",
        f"{DISTRIBUTION}/delegators/{{delegator_address}}/validators",
        f"{DISTRIBUTION_QUERY}.DelegatorValidators",
    ),
    Route(
        "GET",
        f"{DISTRIBUTION}/delegators/{{delegator_address}}/withdraw_address",
        f"{DISTRIBUTION_QUERY}.DelegatorWithdrawAddress",
    ),
    *gov_routes(GOV, GOV_QUERY),
    *gov_routes(GOV_V1BETA1, GOV_V1BETA1_QUERY),
    Route("GET", f"{GOV}/constitution", f"{GOV_QUERY}.Constitution"),
    Route("GET", "/cosmos/slashing/v1beta1/params", "cosmos.slashing.v1beta1.Query.Params"),
    Route("GET", "/cosmos/slashing/v1beta1/signing_infos", "cosmos.slashing.v1beta1.Query.SigningInfos"),
    Route(
        "GET",
        "/cosmos/slashing/v1beta1/signing_infos/{cons_address}",
        "cosmos.slashing.v1beta1.Query.SigningInfo",
    ),
    Route("GET", "/cosmos/upgrade/v1beta1/current_plan", "cosmos.upgrade.v1beta1.Query.CurrentPlan"),
    Route("GET", "/cosmos/upgrade/v1beta1/applied_plan/{name}", "cosmos.upgrade.v1beta1.Query.AppliedPlan"),
    Route("GET", "/cosmos/upgrade/v1beta1/authority", "cosmos.upgrade.v1beta1.Query.Authority"),
]


def find(http_method: str, path: str, routes: list[Route] = ROUTES) -> tuple[Route, dict[str, str]]:
    """The route for a request and its path parameters; a NotFound (404) or, for a path
    served under another method, an Unimplemented (405) error otherwise."""
    segments = path.strip("/").split("/")
    path_known = False
    for route in routes:
        found = route.match(segments)
        if found is None:
            continue
        if route.http_method == http_method:
            return route, found
        path_known = True
    raise method_not_allowed() if path_known else not_found()

"""Every error the library raises.

``LedgerError`` is the root. Errors found before anything is sent (bad input, wrong chain, missing
deployment) and errors the contract reverts with share the same classes, so callers handle one thing:
``ReturnWindowClosed`` is raised whether the library saw the closed window itself or the chain did.
Each class also inherits the builtin that fits (``ValueError``, ``LookupError``, ``PermissionError``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, ClassVar

from . import timefmt


class LedgerError(Exception):
    """Raised for anything that goes wrong in the ledger library; the root of all its errors.

    An error that quotes amounts says them in the token they are in: ``token`` is set by whoever knows it
    (``amounts_in``), and ``format_amount`` by the edge that knows the token's decimals (the command line),
    so a person who typed ``0.5`` reads ``0.5 ETH`` back, never wei.
    """

    token: str | None = None
    format_amount: Callable[[int, str], str] | None = None

    def amount(self, value: int, token: str | None = None) -> str:
        """``value`` in its token's units: ``0.2 ETH``, ``12.5 USDC``, or smallest units when unknown."""
        token = token if token is not None else self.token
        if token is None:
            return f"{value} (in the token's smallest unit)"
        return self.format_amount(int(value), token) if self.format_amount else _units(int(value), token)


@contextmanager
def amounts_in(token: str) -> Iterator[None]:
    """Errors raised inside quote their amounts in ``token`` (when they do not name a token themselves)."""
    try:
        yield
    except LedgerError as error:
        if error.token is None:
            error.token = token
        raise


# ---------------------------------------------------------------- library-side errors


class BuildError(LedgerError, RuntimeError):
    """Raised when the contracts cannot be compiled or a shipped artifact is missing."""


class MissingExtra(LedgerError, ImportError):
    """Raised when a part of the package is used whose optional dependencies (an extra) are not installed; the
    message names the ``pip install 'ledger[extra]'`` that adds them."""


class InvalidInput(LedgerError, ValueError):
    """Raised when an argument is malformed (address, amount, SKU, file); nothing was sent."""


class InvalidRows(InvalidInput):
    """Raised when several parts of one input (the rows of a file) are malformed; each is named on a line."""

    def __init__(self, headline: str, problems: list[str]) -> None:
        self.headline, self.problems = headline, list(problems)
        super().__init__("\n".join([headline + ":", *self.problems]))


class DeploymentError(LedgerError, LookupError):
    """Raised when no deployment is recorded, the file is malformed, or no contract is at its address."""


class WrongChain(LedgerError, ValueError):
    """Raised when a deployment belongs to another chain than the one connected to."""

    def __init__(self, expected: int, actual: int) -> None:
        self.expected, self.actual = expected, actual
        super().__init__(
            f"the deployment is for chain id {expected} but the node is chain id {actual}: "
            "connect to the right node or deploy again on this one"
        )


class DatabaseUnusable(LedgerError, ConnectionError):
    """Raised when the database of the index and the off-chain texts cannot be used: its URL unreadable, of an
    unknown kind or without its driver, or the database unreachable."""


class NodeError(LedgerError, ConnectionError):
    """Raised when the node cannot be started or reached."""


class OutcomeUnknown(NodeError):
    """Raised when a transaction was handed to the node but whether it was recorded cannot be told (yet).

    ``tx_hashes`` holds every version signed for its nonce (at most one of them can ever be mined). Sending
    the call afresh could do its work twice: look the hashes up instead, or run the same operation again
    (``Ledger.operation``, or the same command), which finds what it sent and sends nothing new while any
    version can still land.
    """

    def __init__(self, why: str, tx_hashes: list[str] | tuple[str, ...]) -> None:
        self.why, self.tx_hashes = why, tuple(tx_hashes)
        newest = self.tx_hashes[-1]
        versions = f" (or {len(self.tx_hashes) - 1} earlier version(s) of it)" if len(self.tx_hashes) > 1 else ""
        super().__init__(
            f"{why}, so whether it was recorded is not known (transaction {newest}{versions}): do not send it anew, "
            f"which could do it twice; look it up (`ledger tx {newest}`) once the node answers, or run the same "
            "command again, which finds it and sends nothing more if it went through"
        )


class NotRecorded(NodeError):
    """Raised when a transaction can never be recorded: its nonce went to a transaction it did not sign."""

    def __init__(self, tx_hashes: list[str] | tuple[str, ...], account: str, nonce: int, taken_by: str) -> None:
        self.tx_hashes, self.account, self.nonce, self.taken_by = tuple(tx_hashes), account, nonce, taken_by
        super().__init__(
            f"transaction {self.tx_hashes[-1]} was not recorded and never will be: nonce {nonce} of {account} went "
            f"to transaction {taken_by}, which this call did not sign (the same key used elsewhere at the same "
            f"time?); see what {taken_by} did before sending this again"
        )


class GasLimitExceeded(LedgerError, ValueError):
    """Raised when a call needs more gas than the node allows one transaction (a block's limit); nothing was sent."""

    def __init__(self, what: str, detail: str) -> None:
        self.what, self.detail = what, detail
        super().__init__(f"{what} needs more gas than the node lets one transaction use ({detail}): nothing was "
                         "sent; split it into smaller ones")


class UnknownEvent(LedgerError, RuntimeError):
    """Raised when the contract emitted an event this library version cannot decode (a newer contract?)."""


class IndexStuck(LedgerError, RuntimeError):
    """Raised when the index's next window was undone several times in a row and the index got no further."""


class NotALocalChain(LedgerError, RuntimeError):
    """Raised when a local-only action (advancing time, snapshots) is asked of a real network."""


class InsufficientFunds(LedgerError, ValueError):
    """Raised when an account cannot pay for a purchase (or its gas); nothing was sent."""

    def __init__(self, account: str, needed: int, available: int, what: str, token: str = "0x" + "0" * 40) -> None:
        self.account, self.needed, self.available, self.what, self.token = account, needed, available, what, token
        super().__init__(str(self))

    def __str__(self) -> str:
        return (f"{self.account} has {self.amount(self.available)} but needs {self.amount(self.needed)} "
                f"({self.what}): fund the account and try again")


class ContractReverted(LedgerError, RuntimeError):
    """Raised when the contract reverts with data the library does not know how to decode."""

    def __init__(self, data: bytes, detail: str = "") -> None:
        self.data = data
        super().__init__(f"the transaction reverted ({detail or '0x' + data.hex()})")


# ---------------------------------------------------------------- contract custom errors


class ContractError(LedgerError):
    """Raised for a custom error of the contract; ``.args_by_name`` holds its decoded arguments.

    Each subclass names its arguments in ``fields`` (the error's inputs, in order), which become attributes,
    and declares each with the type the revert decoder gives it: ``int`` for the error's integers, ``str`` for
    its addresses (checksummed) and 32-byte values (``0x`` and hex).
    """

    solidity_name: ClassVar[str]
    fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *values: Any) -> None:
        if len(values) != len(self.fields):
            raise TypeError(f"{type(self).__name__} takes {len(self.fields)} arguments, got {len(values)}")
        self.args_by_name = dict(zip(self.fields, values))
        for name, value in self.args_by_name.items():
            setattr(self, name, value)
        super().__init__(self.describe())

    def __str__(self) -> str:
        return self.describe()  # described when shown, so a token or format set later is used

    def describe(self) -> str:
        """A sentence a person can act on."""
        return type(self).__name__

    def __reduce__(self) -> tuple[type[ContractError], tuple[Any, ...]]:
        # keep pickling (multiprocessing, pytest-xdist) working with positional args
        return (type(self), tuple(self.args_by_name.values()))


def _hex(value: bytes | str) -> str:
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


def _units(amount: int, token: str) -> str:
    """``0.2 ETH`` for the native currency; ``5000 units of token 0x…`` otherwise (decimals unknown here)."""
    if int(token, 16) == 0:
        return f"{(Decimal(amount) / Decimal(10**18)).normalize():f} ETH"
    return f"{amount} smallest units of token {token}"


def _short(purchase_id: bytes | str) -> str:
    text = _hex(purchase_id)
    return f"{text[:10]}…"


class UnknownMerchant(ContractError, LookupError):
    """Raised when no merchant has the id given."""

    solidity_name, fields = "LedgerUnknownMerchant", ("merchant_id",)
    merchant_id: int

    def describe(self) -> str:
        return f"there is no merchant #{self.merchant_id}: check the id (merchants are numbered from 1)"


class NotMerchantOwner(ContractError, PermissionError):
    """Raised when an owner-only action is taken by another account."""

    solidity_name, fields = "LedgerNotMerchantOwner", ("merchant_id", "caller")
    merchant_id: int
    caller: str

    def describe(self) -> str:
        return f"{self.caller} is not the owner of merchant #{self.merchant_id}: use the owner's key"


class NotMerchantAgent(ContractError, PermissionError):
    """Raised when a staff action is taken by an account that is neither owner nor agent."""

    solidity_name, fields = "LedgerNotMerchantAgent", ("merchant_id", "caller")
    merchant_id: int
    caller: str

    def describe(self) -> str:
        return (
            f"{self.caller} is not staff of merchant #{self.merchant_id}: "
            "use an agent's key or ask the owner to add this account as an agent"
        )


class InvalidAddress(ContractError, ValueError):
    """Raised when the zero address or the ledger itself is given where money could be sent or staff named."""

    solidity_name, fields = "LedgerInvalidAddress", ("account",)
    account: str

    def describe(self) -> str:
        return (f"{self.account} cannot be used here (the zero address or the ledger contract itself): "
                "give a real account address")


class AlreadyHasRole(ContractError, ValueError):
    """Raised when adding an agent that already has a role at the merchant."""

    solidity_name, fields = "LedgerAlreadyHasRole", ("merchant_id", "account", "role")
    merchant_id: int
    account: str
    role: int

    def describe(self) -> str:
        role = {1: "an agent", 2: "the owner"}.get(int(self.role), f"role {self.role}")
        return f"{self.account} is already {role} of merchant #{self.merchant_id}: nothing to add"


class NotAnAgent(ContractError, ValueError):
    """Raised when removing an account that is not an agent."""

    solidity_name, fields = "LedgerNotAnAgent", ("merchant_id", "account")
    merchant_id: int
    account: str

    def describe(self) -> str:
        return (f"{self.account} is not an agent of merchant #{self.merchant_id}: only agents have budgets and "
                "mandates or can be removed (add it with `ledger merchant add-agent`)")


class UnknownTerms(ContractError, LookupError):
    """Raised when no return terms have the id given."""

    solidity_name, fields = "LedgerUnknownTerms", ("terms_id",)
    terms_id: int

    def describe(self) -> str:
        return f"there are no return terms #{self.terms_id}: list the merchant's terms and pick one"


class TermsRetired(ContractError, ValueError):
    """Raised when buying under (or retiring again) terms that were retired."""

    solidity_name, fields = "LedgerTermsRetired", ("terms_id",)
    terms_id: int

    def describe(self) -> str:
        return f"return terms #{self.terms_id} are retired: use the merchant's current terms"


class FeeTooHigh(ContractError, ValueError):
    """Raised when a fee, commission or bonus in basis points is above 100 %."""

    solidity_name, fields = "LedgerFeeTooHigh", ("fee_bps", "max_bps")
    fee_bps: int
    max_bps: int

    def describe(self) -> str:
        return f"{self.fee_bps / 100:g} % is more than 100 % ({self.max_bps} bps): give at most 100 %"


class LineCount(ContractError, ValueError):
    """Raised when a purchase has no lines or too many."""

    solidity_name, fields = "LedgerLineCount", ("count", "max_lines")
    count: int
    max_lines: int

    def describe(self) -> str:
        return f"a purchase needs 1 to {self.max_lines} lines, not {self.count}: split large orders"


class InvalidLine(ContractError, ValueError):
    """Raised when a line has a quantity of zero."""

    solidity_name, fields = "LedgerInvalidLine", ("index",)
    index: int

    def describe(self) -> str:
        return f"line {self.index} has a quantity of 0: every line needs at least one unit"


class ZeroAmount(ContractError, ValueError):
    """Raised when an amount that must be positive is zero."""

    solidity_name = "LedgerZeroAmount"

    def describe(self) -> str:
        return "the amount is zero: give a positive amount"


class AmountTooLarge(ContractError, ValueError):
    """Raised when an amount does not fit in 128 bits."""

    solidity_name, fields = "LedgerAmountTooLarge", ("amount_given", "max_amount")
    amount_given: int
    max_amount: int

    def describe(self) -> str:
        return (f"the amount {self.amount(self.amount_given)} is above the largest the ledger holds "
                f"({self.amount(self.max_amount)})")


class WrongPayment(ContractError, ValueError):
    """Raised when the native currency sent does not match the price."""

    solidity_name, fields = "LedgerWrongPayment", ("expected", "sent")
    expected: int
    sent: int

    def describe(self) -> str:
        native = "0x" + "0" * 40
        return (f"{self.amount(self.sent, native)} was sent but the price is {self.amount(self.expected, native)}: "
                "send exactly the price")


class PurchaseExists(ContractError, ValueError):
    """Raised when buying an order that was already bought (a double click, a replay, a second buyer)."""

    solidity_name, fields = "LedgerPurchaseExists", ("purchase_id",)
    purchase_id: str

    def describe(self) -> str:
        return (f"order {_short(self.purchase_id)} was already bought, and an order is bought once: nothing was "
                f"paid now; see the purchase with `ledger purchase {_hex(self.purchase_id)}`")


class UnknownPurchase(ContractError, LookupError):
    """Raised when a purchase id (or the details passed for it) matches no recorded purchase."""

    solidity_name, fields = "LedgerUnknownPurchase", ("purchase_id",)
    purchase_id: str

    def describe(self) -> str:
        return f"there is no purchase {_hex(self.purchase_id)}: check the id in your purchase history"


class LinesMismatch(ContractError, ValueError):
    """Raised when the lines passed are not the ones recorded for the purchase."""

    solidity_name, fields = "LedgerLinesMismatch", ("purchase_id",)
    purchase_id: str

    def describe(self) -> str:
        return f"the lines given are not those of purchase {_short(self.purchase_id)}: reload the purchase"


class NotCustomer(ContractError, PermissionError):
    """Raised when someone other than the buyer tries to return a purchase."""

    solidity_name, fields = "LedgerNotCustomer", ("purchase_id", "caller")
    purchase_id: str
    caller: str

    def describe(self) -> str:
        return (
            f"purchase {_short(self.purchase_id)} is not yours ({self.caller}): "
            "only the customer who bought it can return it"
        )


class InvalidLineSelection(ContractError, ValueError):
    """Raised when a return names no line or a line the purchase does not have."""

    solidity_name, fields = "LedgerInvalidLineSelection", ("purchase_id", "line_mask", "line_count")
    purchase_id: str
    line_mask: int
    line_count: int

    def describe(self) -> str:
        return (
            f"purchase {_short(self.purchase_id)} has {int(self.line_count)} line(s) (indexes 0 to "
            f"{int(self.line_count) - 1}): name at least one of them"
        )


class AlreadyReturned(ContractError, ValueError):
    """Raised when a return names lines that were already returned."""

    solidity_name, fields = "LedgerAlreadyReturned", ("purchase_id", "line_mask")
    purchase_id: str
    line_mask: int

    def describe(self) -> str:
        lines = [str(i + 1) for i in range(32) if int(self.line_mask) >> i & 1]
        return (
            f"line{'s' if len(lines) > 1 else ''} {', '.join(lines)} (counted from 1) of purchase "
            f"{_short(self.purchase_id)} already returned and refunded"
        )


class ReturnWindowClosed(ContractError, ValueError):
    """Raised when a return comes at or after the end of the return window."""

    solidity_name, fields = "LedgerReturnWindowClosed", ("purchase_id", "deadline", "timestamp")
    purchase_id: str
    deadline: int
    timestamp: int

    def describe(self) -> str:
        return (
            f"the return window of purchase {_short(self.purchase_id)} closed on "
            f"{timefmt.when(self.deadline, self.timestamp)}: ask the merchant for a goodwill refund"
        )


class ShipmentRequired(ContractError, ValueError):
    """Raised when the terms require the item back and the return names no shipment."""

    solidity_name, fields = "LedgerShipmentRequired", ("purchase_id",)
    purchase_id: str

    def describe(self) -> str:
        return (
            f"the terms of purchase {_short(self.purchase_id)} require the item to be sent back: "
            "give the return shipment reference"
        )


class AlreadySettled(ContractError, ValueError):
    """Raised when acting on a purchase that was settled (nothing is left in escrow)."""

    solidity_name, fields = "LedgerAlreadySettled", ("purchase_id",)
    purchase_id: str

    def describe(self) -> str:
        return f"purchase {_short(self.purchase_id)} is already settled: nothing is left in escrow"


class RefundExceedsEscrow(ContractError, ValueError):
    """Raised when a refund asks for more than the purchase still holds in escrow."""

    solidity_name, fields = "LedgerRefundExceedsEscrow", ("purchase_id", "requested", "available")
    purchase_id: str
    requested: int
    available: int

    def describe(self) -> str:
        return (
            f"purchase {_short(self.purchase_id)} holds {self.amount(self.available)} in escrow, "
            f"less than the {self.amount(self.requested)} asked for: refund at most {self.amount(self.available)}"
        )


class TimeInFuture(ContractError, ValueError):
    """Raised when a contact moment is dated in the future."""

    solidity_name, fields = "LedgerTimeInFuture", ("occurred_at", "timestamp")
    occurred_at: int
    timestamp: int

    def describe(self) -> str:
        return (
            f"the contact is dated {timefmt.when(self.occurred_at, self.timestamp)}, in the future: "
            "give the time it happened"
        )


class NothingToWithdraw(ContractError, ValueError):
    """Raised when withdrawing deferred payments, or cashing out store credit, with nothing there."""

    solidity_name, fields = "LedgerNothingToWithdraw", ("token", "account")
    token: str
    account: str

    def describe(self) -> str:
        currency = "ETH" if int(self.token, 16) == 0 else f"token {self.token}"
        return f"nothing is waiting for {self.account} in {currency}: no deferred payment or store credit is held"


class GasTooLowForPayment(ContractError, RuntimeError):
    """Raised when a transaction's gas limit left too little to push a payment (which is then not deferred)."""

    solidity_name, fields = "LedgerGasTooLowForPayment", ("to",)
    to: str

    def describe(self) -> str:
        return f"the gas limit left too little to pay {self.to}: send the transaction again with more gas"


class BudgetExceeded(ContractError, PermissionError):
    """Raised when an agent's refund goes past its goodwill budget, or it acts without a mandate."""

    solidity_name, fields = "LedgerBudgetExceeded", ("merchant_id", "agent", "token", "requested", "available")
    merchant_id: int
    agent: str
    token: str
    requested: int
    available: int

    def describe(self) -> str:
        if int(self.available) == 0:
            return (f"{self.agent} has no goodwill budget left at merchant #{self.merchant_id}: "
                    "ask the owner to top it up")
        return (f"{self.agent} may refund {self.amount(self.available)} more at merchant #{self.merchant_id}, "
                f"less than the {self.amount(self.requested)} asked for: ask the owner to top up the budget")


class ExtensionTooLong(ContractError, PermissionError):
    """Raised when a window extension goes past the caller's mandate or the ledger's longest extension."""

    solidity_name, fields = "LedgerExtensionTooLong", ("purchase_id", "extension_days", "max_days")
    purchase_id: str
    extension_days: int
    max_days: int

    def describe(self) -> str:
        return (f"an extension of {self.extension_days} days in all is more than the {self.max_days} days allowed "
                "here: ask the shop's owner for a longer mandate, or extend less")


class ExtensionNotLonger(ContractError, ValueError):
    """Raised when the owner sets a window's extension to no more days than it has (extensions only grow)."""

    solidity_name, fields = "LedgerExtensionNotLonger", ("purchase_id", "extension_days", "current_days")
    purchase_id: str
    extension_days: int
    current_days: int

    def describe(self) -> str:
        return (f"purchase {_short(self.purchase_id)}'s window is extended by {self.current_days} days already: "
                f"an extension given is the customer's and is never taken back, so set more than "
                f"{self.current_days} days (not {self.extension_days})")


class ModuleCalledDirectly(ContractError, RuntimeError):
    """Raised when the ledger's module is called at its own address instead of through the ledger."""

    solidity_name = "LedgerModuleCalledDirectly"

    def describe(self) -> str:
        return ("that address is the ledger's module, which runs only through the ledger: send the call to the "
                "ledger's own address (`ledger status` shows it)")


class InsufficientCredit(ContractError, ValueError):
    """Raised when a purchase would spend more store credit than the customer holds at the merchant."""

    solidity_name, fields = "LedgerInsufficientCredit", ("merchant_id", "token", "requested", "available")
    merchant_id: int
    token: str
    requested: int
    available: int

    def describe(self) -> str:
        return (f"you hold {self.amount(self.available)} in store credit at merchant #{self.merchant_id}, "
                f"less than the {self.amount(self.requested)} asked for: use at most {self.amount(self.available)}")


class TermsMismatch(ContractError, ValueError):
    """Raised when an order's copy of its terms is not what the published terms say."""

    solidity_name, fields = "LedgerTermsMismatch", ("terms_id",)
    terms_id: int

    def describe(self) -> str:
        return (f"the order's return terms differ from the published terms #{self.terms_id}: "
                "ask the shop for an order made with its published terms")


class ReferralNotAllowed(ContractError, PermissionError):
    """Raised when an order an agent signed carries more referral commission than the owner lets it grant, or
    names a referrer the owner has not approved."""

    solidity_name, fields = "LedgerReferralNotAllowed", ("purchase_id", "agent", "referrer", "referral_bps",
                                                         "max_referral_bps")
    purchase_id: str
    agent: str
    referrer: str
    referral_bps: int
    max_referral_bps: int

    def describe(self) -> str:
        if not self.max_referral_bps:
            return (f"agent {self.agent} may not give a referral commission to {self.referrer}: the shop's owner "
                    "approves referrers and sets how much commission an agent may grant (`merchant "
                    "approve-referrer`, `merchant referral-mandate`); sign without one, or ask the owner")
        return (f"agent {self.agent} may grant at most {self.max_referral_bps / 100:g} % referral commission, not "
                f"{self.referral_bps / 100:g} %: sign with less, or ask the shop's owner for a larger mandate")


class StaleOrderSigner(ContractError, PermissionError):
    """Raised when an order's signer was removed from the shop's staff since it signed (maybe added again)."""

    solidity_name, fields = "LedgerStaleOrderSigner", ("purchase_id", "signer", "signed_generation", "generation")
    purchase_id: str
    signer: str
    signed_generation: int
    generation: int

    def describe(self) -> str:
        return (f"order {_short(self.purchase_id)} was signed by {self.signer} before it was removed from the shop's "
                "staff: what it signed then no longer holds, so nothing was paid; ask the shop for a new order")


class AgentGenerationsUsed(ContractError, ValueError):
    """Raised when an account that was an agent of the shop 256 times is added again."""

    solidity_name, fields = "LedgerAgentGenerationsUsed", ("merchant_id", "agent")
    merchant_id: int
    agent: str

    def describe(self) -> str:
        return (f"{self.agent} was an agent of merchant #{self.merchant_id} 256 times, the most an account can be "
                "(orders name their signer's stint in one byte): add a new account for this person")


class ExchangeMismatch(ContractError, ValueError):
    """Raised when an exchange's new order is from another shop or in another token than the purchase."""

    solidity_name, fields = "LedgerExchangeMismatch", ("purchase_id", "new_purchase_id")
    purchase_id: str
    new_purchase_id: str

    def describe(self) -> str:
        return (f"purchase {_short(self.purchase_id)} can be exchanged only for an order of the same shop in the same "
                "token: nothing was returned or paid; ask the shop for such an order")


class TimeBeforeShop(ContractError, ValueError):
    """Raised when a contact moment is dated before the merchant was registered."""

    solidity_name, fields = "LedgerTimeBeforeShop", ("occurred_at", "registered_at")
    occurred_at: int
    registered_at: int

    def describe(self) -> str:
        return (f"the contact is dated {timefmt.utc(self.occurred_at)}, before the shop existed "
                f"({timefmt.utc(self.registered_at)}): give the time it happened")


class UnusedOrderBits(ContractError, ValueError):
    """Raised when an order sets bits of its packed words that no field uses (and its signature does not cover)."""

    solidity_name, fields = "LedgerUnusedOrderBits", ("purchase_id",)
    purchase_id: str

    def describe(self) -> str:
        return (f"order {_short(self.purchase_id)} has bits set that no field uses, which its signature does not "
                "cover: it was changed after signing, so nothing was paid; ask the shop for a new order")


class OrderRefUsed(ContractError, ValueError):
    """Raised when another order with the same order reference of the same shop was already bought."""

    solidity_name, fields = "LedgerOrderRefUsed", ("merchant_id", "order_ref", "purchase_id")
    merchant_id: int
    order_ref: str
    purchase_id: str

    def describe(self) -> str:
        return (f"shop #{self.merchant_id}'s order {_short(self.order_ref)} was paid already, as purchase "
                f"{_short(self.purchase_id)}: an order number is paid once, so nothing was paid now (see My "
                "purchases, or ask the shop)")


class TokenNotAccepted(ContractError, ValueError):
    """Raised when an order is paid with a token the merchant does not accept."""

    solidity_name, fields = "LedgerTokenNotAccepted", ("merchant_id", "token")
    merchant_id: int
    token: str

    def describe(self) -> str:
        return (f"merchant #{self.merchant_id} does not accept token {self.token}: pay with a token the shop "
                "lists (its owner adds one with `merchant accept-token`)")


class InvalidOrderSignature(ContractError, PermissionError):
    """Raised when an order is not signed by the merchant's owner or one of its agents."""

    solidity_name, fields = "LedgerInvalidOrderSignature", ("purchase_id", "signer")
    purchase_id: str
    signer: str

    def describe(self) -> str:
        who = "nobody (the signature is malformed)" if int(self.signer, 16) == 0 else self.signer
        return (f"order {_short(self.purchase_id)} is signed by {who}, who is not staff of its shop, or it was "
                "changed after signing: ask the shop for a new order")


class OrderExpired(ContractError, ValueError):
    """Raised when an order is bought after its expiry."""

    solidity_name, fields = "LedgerOrderExpired", ("expiry", "timestamp")
    expiry: int
    timestamp: int

    def describe(self) -> str:
        return f"the order expired on {timefmt.when(self.expiry, self.timestamp)}: ask the shop for a new one"


class NotOrderCustomer(ContractError, PermissionError):
    """Raised when an order made out to one customer is bought by another account."""

    solidity_name, fields = "LedgerNotOrderCustomer", ("purchase_id", "customer", "caller")
    purchase_id: str
    customer: str
    caller: str

    def describe(self) -> str:
        return (f"order {_short(self.purchase_id)} is made out to {self.customer}, not to {self.caller}: "
                "buy it with that account, or ask the shop for an order of your own")


class InvalidReferrer(ContractError, ValueError):
    """Raised when an order names its buyer or one of the ledger's own contracts as referrer, or a commission
    without a referrer."""

    solidity_name, fields = "LedgerInvalidReferrer", ("referrer",)
    referrer: str

    def describe(self) -> str:
        return (f"{self.referrer} cannot be this order's referrer (it is the buyer, one of the ledger's own "
                "contracts, which could never withdraw the commission, or no one with a commission set): ask the "
                "shop for an order with a valid referrer")


class NoReturns(ContractError, ValueError):
    """Raised when extending the window of a purchase whose terms allow no returns."""

    solidity_name, fields = "LedgerNoReturns", ("purchase_id",)
    purchase_id: str

    def describe(self) -> str:
        return (f"purchase {_short(self.purchase_id)} was a final sale (no returns): its window cannot be "
                "extended; refund it as goodwill instead")


class InvalidDelivery(ContractError, ValueError):
    """Raised when delivery is confirmed twice, for terms not from delivery, out of time, or too late."""

    solidity_name, fields = "LedgerInvalidDelivery", ("purchase_id", "delivered_at")
    purchase_id: str
    delivered_at: int
    reason = ""
    """Which of the causes it is, when the library saw it before sending (the contract's error does not say)."""

    def describe(self) -> str:
        if self.reason:
            return self.reason
        return (f"delivery of purchase {_short(self.purchase_id)} at {timefmt.utc(self.delivered_at)} cannot be "
                "recorded: it was already confirmed, its window does not start at delivery, or the longest wait "
                "for delivery has passed (its window already runs)")


class CreditLocked(ContractError, PermissionError):
    """Raised when store credit is cashed out while the shop still trades, takes its token, and the credit's
    cash-out date has not come."""

    solidity_name, fields = "LedgerCreditLocked", ("merchant_id", "available_at")
    merchant_id: int
    available_at: int

    def describe(self) -> str:
        if self.available_at >= timefmt.CASHABLE_WHEN_CLOSED:
            return (f"merchant #{self.merchant_id} still trades and sets no delay: credit can be cashed out "
                    "once it retires all its terms; spend it there meanwhile")
        return (f"credit at merchant #{self.merchant_id} can be cashed out from "
                f"{timefmt.utc(self.available_at)}; spend it there meanwhile")


class NonceUsed(ContractError, ValueError):
    """Raised when a signed request's nonce was already used or cancelled."""

    solidity_name, fields = "LedgerNonceUsed", ("account", "nonce")
    account: str
    nonce: int

    def describe(self) -> str:
        return (f"the signed request of {self.account} was already used or cancelled: "
                "ask the customer to sign a new one")


class ScoreOutOfRange(ContractError, ValueError):
    """Raised when a rating or score is outside its scale."""

    solidity_name, fields = "LedgerScoreOutOfRange", ("score", "min", "max")
    score: int
    min: int
    max: int

    def describe(self) -> str:
        return f"a score of {self.score} is outside the scale: give {self.min} to {self.max}"


class AlreadyRated(ContractError, ValueError):
    """Raised when a score that may be given once (NPS, a contact's CSAT) is given again."""

    solidity_name, fields = "LedgerAlreadyRated", ("subject",)
    subject: str

    def describe(self) -> str:
        return "this was already rated, and a score can be given once only"


class SignatureExpired(ContractError, ValueError):
    """Raised when a signed request is submitted after its deadline."""

    solidity_name, fields = "LedgerSignatureExpired", ("deadline", "timestamp")
    deadline: int
    timestamp: int

    def describe(self) -> str:
        return (
            f"the signed request expired on {timefmt.when(self.deadline, self.timestamp)}: "
            "ask the customer to sign a new one"
        )


class InvalidSignature(ContractError, PermissionError):
    """Raised when a signed return request is not the customer's for this contract, chain and nonce."""

    solidity_name, fields = "LedgerInvalidSignature", ("purchase_id", "customer")
    purchase_id: str
    customer: str

    def describe(self) -> str:
        return (
            f"the return request for purchase {_short(self.purchase_id)} is not signed by its customer "
            f"{self.customer} for this ledger and chain: nothing was sent; sign it again with that wallet"
        )


class ReentrantCall(ContractError, RuntimeError):
    """Raised when a call tries to re-enter the contract while it is paying out."""

    solidity_name = "ReentrancyGuardReentrantCall"

    def describe(self) -> str:
        return "the contract refused a re-entrant call"


class TokenTransferFailed(ContractError, RuntimeError):
    """Raised when an ERC-20 token refuses a transfer (no allowance, no balance, paused)."""

    solidity_name, fields = "SafeERC20FailedOperation", ("token",)
    token: str

    def describe(self) -> str:
        return f"token {self.token} refused the transfer: check the balance and allowance"


class PaymentFailed(ContractError, RuntimeError):
    """Raised when a withdrawal of the native currency is rejected by the receiving address."""

    solidity_name = "FailedCall"

    def describe(self) -> str:
        return "the receiving address rejected the payment: withdraw to another address"


class InsufficientContractBalance(ContractError, RuntimeError):
    """Raised when the contract holds less than a withdrawal needs (a broken invariant)."""

    solidity_name, fields = "InsufficientBalance", ("balance", "needed")
    balance: int
    needed: int

    def describe(self) -> str:
        return f"the contract holds {self.amount(self.balance)} but needs {self.amount(self.needed)}"


CONTRACT_ERRORS: dict[str, type[ContractError]] = {
    cls.solidity_name: cls for cls in ContractError.__subclasses__()
}
"""Our exception class for each Solidity error name."""


# ------------------------------------------------------------------ the library's own (no contract error)


class SendFailed(LedgerError, RuntimeError):
    """Raised when the node refuses or loses a transaction for a reason that is not a contract error."""


class MalformedData(LedgerError, ValueError):
    """The event's data do not hold what its ABI says (a node or contract sending garbage)."""


class WebhookRejected(LedgerError, ValueError):
    """Raised when a webhook's request does not carry a valid signature made with the shared secret, or was signed
    too long ago (a replay): a receiver answers it with 400 and does nothing with the event."""


class BlockReplaced(LedgerError, RuntimeError):
    """Raised inside a sync when a block read in this window was replaced meanwhile (the window is retried)."""


class IndexMoved(LedgerError, RuntimeError):
    """Raised when another indexer wrote the same window first (the window is then skipped)."""


class StaleName(LedgerError, ValueError):
    """Raised when a signed shop profile or catalogue batch is older than the one in place, or was signed too
    long ago to be handed in now (``names.NameStore.keep``); nothing is kept."""

    def __init__(self, kind: str, issued_at: int, why: str) -> None:
        self.kind, self.issued_at = kind, issued_at
        super().__init__(f"the {kind} signed at {timefmt.utc(issued_at)} {why}")


class TextNotFound(LedgerError, LookupError):
    """Raised when no text is kept for a hash, or none that the one asking may read or erase: both get the same
    answer, so nobody learns which hashes are kept here by asking for them."""

    def __init__(self, content_hash: str, reader: str | None = None, action: str | None = None) -> None:
        self.content_hash = content_hash
        if action is None:
            super().__init__(f"no text is kept for hash {content_hash}: it was logged elsewhere, or never kept here")
            return
        who = reader or "someone not signed in"
        super().__init__(
            f"no text that {who} may {action} is kept for hash {content_hash}: it was logged elsewhere, never kept "
            f"here, or is not theirs ({'its customer and the shop' if action == 'read' else 'only its customer'} "
            f"may {action} a note or shipment reference)")


class UnknownOrderLink(LedgerError, LookupError):
    """Raised when a short order link's code names no order kept here (mistyped, cut short, or made for a server
    on another database)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"no order is kept here under the code {code!r}: check that the link was copied whole, or "
                         "ask the shop for the order's link again")


class OrderCodeTaken(LedgerError, ValueError):
    """Raised when another signed order is kept under the short code an order hashes to (an 80-bit collision):
    the order kept first stays; nothing is overwritten."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"another order is kept under the short code {code} already (a chance of about one in "
                         "2^80): give the customer the self-contained link instead")

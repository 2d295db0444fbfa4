// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILedger, ILedgerErrors, ILedgerEvents, ILedgerTypes} from "../../../contracts/interfaces/ILedger.sol";
import {ILedgerFeedback} from "../../../contracts/interfaces/ILedgerFeedback.sol";
import {LedgerFeedback} from "../../../contracts/LedgerFeedback.sol";
import {TestToken} from "../../contracts/TestToken.sol";
import {FeeOnTransferToken} from "../../contracts/FeeOnTransferToken.sol";
import {NoReturnToken} from "../../contracts/NoReturnToken.sol";
import {GasBurningToken} from "../../contracts/GasBurningToken.sol";
import {EthRejecter} from "../../contracts/EthRejecter.sol";
import {LedgerKit} from "../utils/LedgerKit.sol";
import {vm} from "../utils/Vm.sol";

/// @title LedgerHandler
/// @notice The one contract forge's invariant fuzzer calls: every action of the ledger's users, with the inputs
/// bounded to the world below, each made by the account that would make it. The world: three shops (an owner
/// and two agents each, one shop paid out to a contract that refuses ETH until told otherwise), four customers
/// (three accounts with keys, which also sign returns for a relayer, and a contract refusing ETH), two referrers
/// (an account, a contract refusing ETH), ETH and four tokens (plain, 1 % fee on transfer, no return value,
/// one that burns all its gas on `transfer` when switched on), and a clock that jumps.
/// @dev For each action the handler first works out from the chain what the contract must do (accept or refuse)
/// and afterwards what must have moved; a contract that does otherwise is noted in `failure`, which an
/// invariant checks. Money is measured, not read from the contract's books: around each action the handler
/// takes, per token, what the ledger holds less what it owes outside escrow (store credit and payments kept
/// to withdraw); the change is what entered or left escrow. The ghost books per purchase (paid, refunded,
/// settled, the window's floor) are built from those measurements.
contract LedgerHandler is LedgerKit {
    // ------------------------------------------------------------------ the world

    ILedger public immutable ledger;
    LedgerFeedback public immutable feedback;

    uint256 internal constant SHOPS = 3;
    uint256 internal constant CUSTOMERS = 4;
    uint256 internal constant TOKENS = 5;
    /// @dev Purchases a run makes at most (each one the invariants read costs every later check).
    uint256 internal constant MAX_PURCHASES = 16;
    uint256 internal constant MAX_TERMS_PER_SHOP = 6;

    uint64[SHOPS] public shopIds;
    uint256[SHOPS] internal _ownerKeys;
    /// @dev Two agents a shop, `2 * shop` and `2 * shop + 1`.
    uint256[2 * SHOPS] internal _agentKeys;
    /// @dev Keys of the customers that are accounts; the last customer is a contract (key 0).
    uint256[CUSTOMERS] internal _customerKeys;
    address[CUSTOMERS] public customers;
    address[2] public referrers;
    address[TOKENS] public tokens;
    address[2] internal _payouts;
    EthRejecter public shopWallet;
    EthRejecter public rejectingCustomer;
    EthRejecter public rejectingReferrer;
    GasBurningToken public burner;
    mapping(uint256 shop => uint64[]) internal _terms;

    // ------------------------------------------------------------------ the ghost books

    /// @notice A purchase as the handler saw it made, with what it measured of its money.
    struct Purchase {
        ILedgerTypes.Order order;
        uint8 buyer;
        /// @dev What entered escrow at purchase (money that arrived and credit spent).
        uint256 paid;
        /// @dev What left escrow to the customer since (money, credit, payments kept for it).
        uint256 refunded;
        /// @dev What settlement paid out of escrow.
        uint256 settled;
        /// @dev The earliest the window may close, as promised so far: never less later.
        uint256 floor;
        /// @dev Whether a settlement batch the handler sent settled it.
        bool settledSeen;
        bool npsGiven;
        /// @dev Store credit it was paid with (v3: an exchange pays with the credit part of its return first).
        uint256 credit;
        /// @dev The credit bonus owed at settlement, as the handler worked it out from its own books.
        uint256 pending;
    }

    Purchase[] internal _purchases;
    mapping(uint256 index => ILedgerTypes.LineItem[]) internal _lines;
    /// @notice Tokens sent to the ledger outright (it holds them on top of what it owes).
    mapping(address token => uint256) public donated;
    /// @notice The first thing the contract did that it must not have done (empty while none).
    string public failure;
    /// @notice Signed return requests made so far, for a relayer to submit (maybe too late, or twice).
    struct Signed {
        uint256 purchase;
        ILedgerTypes.ReturnRequest request;
        bytes signature;
    }

    Signed[] internal _signed;
    /// @notice Contact moments logged (merchant, customer, content), for customers to rate.
    struct Contact {
        uint64 merchantId;
        uint8 customer;
        bytes32 contentHash;
        bool rated;
    }

    Contact[] internal _contacts;
    uint256 internal _orderCount;

    /// @notice A place the ledger may owe money outside escrow: store credit (shop, account, token), a payment
    /// kept for an account (0, account, token) or for a shop (shop, 0, token).
    struct Owed {
        uint64 merchantId;
        address account;
        address token;
    }

    /// @dev Every such place an action could have put money, each once. The invariants add up what the ledger
    /// owes there and compare it with what it holds: money the contract put anywhere else would show as held
    /// and not owed, and fail the exact count all the same.
    Owed[] internal _owed;
    mapping(bytes32 key => bool) internal _owedKnown;

    /// @notice What the last action touched, for the invariants to check after it: bit t for `tokens[t]` (its
    /// money moved, or could have), bit i of `touchedPurchases` for purchase i (every one after a time jump).
    /// An action moves money only in the tokens it names and changes only the purchases it names, so checking
    /// those after each call and everything at the end of each run (`afterInvariant`) misses nothing.
    uint256 public touchedTokens;
    uint256 public touchedPurchases;

    modifier fresh() {
        touchedTokens = 0;
        touchedPurchases = 0;
        _;
        _checkCreditDates();
    }

    /// @notice The places store credit may be held (shop, account, token), each once, with the cash-out date and
    /// balance seen there after the last action that touched its token.
    Owed[] internal _creditPlaces;
    mapping(uint256 place => ILedgerTypes.Credit) internal _creditSeen;

    /// @param hostile Whether the world starts hostile: the gas-burning token burning and every contract that
    /// can refuse ETH refusing it (the `hostility` action changes both either way).
    /// @dev The ETH sent along is shared between the customers and the handler by plain transfers, not
    /// `vm.deal`: forge undoes every earlier deal of an account a reverted call touched, setUp's too, and the
    /// sender forge picks for a call may be a customer, so one reverted call could empty a customer's wallet
    /// where the sequence forge reports (which leaves reverted calls out) shows no reason.
    constructor(bool hostile) payable {
        (ledger, feedback) = _deployLedger();
        vm.warp(1_800_000_000);
        burner = new GasBurningToken();
        tokens = [
            address(0),
            address(new TestToken("Test Dollar", "TUSD")),
            address(new FeeOnTransferToken(100)),
            address(new NoReturnToken()),
            address(burner)
        ];
        shopWallet = new EthRejecter();
        rejectingCustomer = new EthRejecter();
        rejectingReferrer = new EthRejecter();
        _payouts = [address(shopWallet), address(0xFA1D)];
        referrers = [address(0x2EFE22E2), address(rejectingReferrer)];
        rejectingCustomer.setAccepting(true);
        for (uint256 c; c < CUSTOMERS; ++c) {
            _customerKeys[c] = c + 1 < CUSTOMERS ? 0xC0 + c : 0;
            customers[c] = c + 1 < CUSTOMERS ? vm.addr(0xC0 + c) : address(rejectingCustomer);
            (bool paid,) = customers[c].call{value: msg.value / (CUSTOMERS + 1)}("");
            require(paid);
            for (uint256 t = 1; t < TOKENS; ++t) {
                TestToken(tokens[t]).mint(customers[c], 1e30);
                vm.prank(customers[c]);
                // Low level: the no-return token's approve returns nothing.
                (bool approved,) =
                    tokens[t].call(abi.encodeWithSignature("approve(address,uint256)", ledger, type(uint256).max));
                require(approved);
            }
        }
        for (uint256 s; s < SHOPS; ++s) {
            _setUpShop(s);
        }
        burner.setBurning(hostile);
        shopWallet.setAccepting(!hostile);
        rejectingCustomer.setAccepting(!hostile);
        rejectingReferrer.setAccepting(!hostile);
    }

    function _setUpShop(uint256 s) private {
        _ownerKeys[s] = 0x0A0 + s;
        address owner = vm.addr(_ownerKeys[s]);
        vm.startPrank(owner);
        uint64 id = ledger.registerMerchant(s == 2 ? address(shopWallet) : vm.addr(0xFA0 + s));
        shopIds[s] = id;
        if (s == 0) {
            _terms[s].push(ledger.publishTerms(id, uint32(3 * DAY), 750, 0, false));
            _terms[s].push(ledger.publishTerms(id, uint32(2 * DAY), 0, uint32(3 * DAY), true));
            _terms[s].push(ledger.publishTerms(id, 0, 0, 0, false));
        } else if (s == 1) {
            _terms[s].push(ledger.publishTerms(id, uint32(DAY), 0, 0, false));
            _terms[s].push(ledger.publishTerms(id, 0, 0, uint32(2 * DAY), false));
        } else {
            _terms[s].push(ledger.publishTerms(id, uint32(5 * DAY), 1_000, uint32(DAY), false));
            _terms[s].push(ledger.publishTerms(id, uint32(DAY / 2), 10_000, 0, true));
        }
        ledger.setCreditBonus(id, uint16([1_500, 500, 0][s]));
        ledger.setCreditCashOutDelay(id, uint32([DAY, 0, 3 * DAY][s]));
        for (uint256 t = 1; t < TOKENS; ++t) {
            if (s != 1 || t < 3) ledger.setTokenAccepted(id, tokens[t], true);
        }
        for (uint256 a; a < 2; ++a) {
            _agentKeys[2 * s + a] = 0xA60 + 2 * s + a;
            address agent = vm.addr(_agentKeys[2 * s + a]);
            ledger.addAgent(id, agent);
            ledger.setMandate(id, agent, uint16(5 * a + 2));
            if (a == 0) ledger.setReferralMandate(id, agent, 500); // the first agent may grant 5 %…
            for (uint256 t; t < TOKENS; ++t) {
                ledger.setBudget(id, agent, tokens[t], t == 0 ? 1e15 : 1e9);
            }
        }
        ledger.setReferrerApproved(id, referrers[0], true); // … to the one referrer the owner approved
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ what the invariants read

    /// @notice What the ledger owes outside escrow per token (in `tokens` order), at every place an action may
    /// have put money, from the contract's views.
    function owedOutsideEscrow(uint256 tokenMask) external view returns (uint256[TOKENS] memory owed) {
        for (uint256 k; k < _owed.length; ++k) {
            uint256 t = _tokenIndex(_owed[k].token);
            if (tokenMask >> t & 1 == 1) owed[t] += owedAt(_owed[k]);
        }
    }

    function _tokenIndex(address token) internal view returns (uint256 t) {
        while (tokens[t] != token) ++t;
    }

    function allPurchases() external view returns (Purchase[] memory) {
        return _purchases;
    }

    /// @notice The actions forge may call.
    function actions() external pure returns (bytes4[] memory selectors) {
        selectors = new bytes4[](29);
        selectors[0] = this.buy.selector;
        selectors[1] = this.buy.selector; // buying is the most common thing customers do: twice the weight
        selectors[2] = this.returnItems.selector;
        selectors[3] = this.returnForCredit.selector;
        selectors[4] = this.signReturn.selector;
        selectors[5] = this.relayReturn.selector;
        selectors[6] = this.cancelNonce.selector;
        selectors[7] = this.goodwill.selector;
        selectors[8] = this.keepIt.selector;
        selectors[9] = this.extendWindow.selector;
        selectors[10] = this.setWindowExtension.selector;
        selectors[11] = this.confirmDelivery.selector;
        selectors[12] = this.settle.selector;
        selectors[13] = this.withdraw.selector;
        selectors[14] = this.withdrawMerchant.selector;
        selectors[15] = this.cashOut.selector;
        selectors[16] = this.staffChange.selector;
        selectors[17] = this.shopSettings.selector;
        selectors[18] = this.terms.selector;
        selectors[19] = this.hostility.selector;
        selectors[20] = this.donate.selector;
        selectors[21] = this.review.selector;
        selectors[22] = this.nps.selector;
        selectors[23] = this.logContact.selector;
        selectors[24] = this.rateContact.selector;
        selectors[25] = this.warp.selector;
        selectors[26] = this.warp.selector;
        selectors[27] = this.exchange.selector; // v3
        selectors[28] = this.returnForCredit.selector; // v3: the bonus now and at settlement, twice the weight
    }

    // ------------------------------------------------------------------ purchases

    /// @notice A shop's owner or agent signs an order (for a customer or anyone, maybe with a referrer, maybe
    /// for an expired moment or an unaccepted token) and a customer buys it, maybe partly with store credit.
    function buy(uint256 seed, uint8 shop, uint8 buyer, uint8 token, uint16 creditShare) external fresh {
        if (_purchases.length >= MAX_PURCHASES) return;
        uint256 s = shop % SHOPS;
        uint256 b = buyer % CUSTOMERS;
        Quote memory quote = Quote({
            merchantId: shopIds[s],
            termsId: _terms[s][seed % _terms[s].length],
            customer: seed >> 8 & 3 == 0 ? address(0) : customers[b],
            token: tokens[token % TOKENS],
            referrer: seed >> 10 & 3 == 0 ? referrers[seed >> 12 & 1] : address(0),
            referralBps: 0,
            expiry: uint40(seed >> 13 & 15 == 0 ? block.timestamp - 1 : block.timestamp + DAY),
            orderRef: bytes32(++_orderCount),
            signerGeneration: 0
        });
        if (quote.referrer != address(0)) quote.referralBps = uint16([0, 1, 500, 10_000][seed >> 14 & 3]);
        uint256 signerKey = seed >> 40 & 1 == 0 ? _ownerKeys[s] : _agentKeys[2 * s + (seed >> 41 & 1)];
        quote.signerGeneration = _signedGeneration(quote.merchantId, signerKey, seed >> 42);
        _buy(b, quote, _randomLines(seed >> 16), signerKey, creditShare);
    }

    /// @dev The generation an order names for its signer: mostly the signer's own, sometimes the one before (an
    /// order a removed agent signed in an earlier stint) or the one after (never valid yet).
    function _signedGeneration(uint64 merchantId, uint256 signerKey, uint256 seed) private view returns (uint8) {
        uint256 generation = ledger.staffOf(merchantId, vm.addr(signerKey)).generation;
        uint256 pick = seed & 7;
        if (pick == 0 && generation != 0) --generation;
        else if (pick == 1) ++generation;
        return uint8(generation);
    }

    /// @dev The customer `b` buys the order of `quote` and `lines` signed with `signerKey`, paying a share of
    /// the credit it holds; books the purchase with what entered escrow.
    function _buy(uint256 b, Quote memory quote, ILedgerTypes.LineItem[] memory lines, uint256 signerKey, uint16 share)
        private
    {
        ILedgerTypes.Order memory order = _order(ledger, quote, lines);
        (uint256 credit, bool valid) = _creditAndValidity(b, quote, order.total, signerKey, share);
        (bool ok, int256 entered) = _measured(
            quote.token,
            quote.merchantId,
            customers[b],
            quote.token == address(0) ? order.total - credit : 0,
            _buyCall(order, lines, credit, signerKey)
        );
        if (ok != valid) {
            _expect(false, ok ? "buy accepted what it must refuse" : _refused(_whatBuy("buy refused a valid order", quote, credit, signerKey)));
        }
        if (!ok) return;
        _expect(entered > 0, "a purchase put nothing into escrow");
        _purchases[_record(order, lines, b, uint256(entered))].credit = credit;
    }

    function _buyCall(ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines, uint256 credit, uint256 key)
        private
        view
        returns (bytes memory)
    {
        return abi.encodeCall(ledger.buy, (order, lines, credit, _signOrder(ledger, key, order)));
    }

    /// @dev The credit customer `b` spends (a share of what it holds, sometimes more) and whether the
    /// contract must accept the purchase.
    function _creditAndValidity(uint256 b, Quote memory quote, uint256 total, uint256 signerKey, uint16 share)
        private
        view
        returns (uint256 credit, bool valid)
    {
        uint256 held = ledger.creditOf(quote.merchantId, customers[b], quote.token).amount;
        credit = held * [0, 0, 50, 100, 120][share % 5] / 100;
        if (credit > total) credit = total;
        ILedgerTypes.Staff memory signer = ledger.staffOf(quote.merchantId, vm.addr(signerKey));
        // An agent grants a referral commission only within its mandate, to a referrer the owner approved.
        uint256 allowed = signer.role == ILedgerTypes.Role.Owner ? BPS
            : ledger.referrerApproved(quote.merchantId, quote.referrer) ? signer.maxReferralBps : 0;
        valid = signer.role != ILedgerTypes.Role.None && signer.generation == quote.signerGeneration
            && quote.referralBps <= allowed
            && quote.expiry >= block.timestamp && !ledger.terms(quote.termsId).retired
            && ledger.accepts(quote.merchantId, quote.token) && credit <= held;
    }

    /// @dev `what`, with what the handler worked out a buy's validity from, to tell a model's mistake from the
    /// contract's.
    function _whatBuy(string memory what, Quote memory quote, uint256 credit, uint256 signerKey)
        private
        view
        returns (string memory)
    {
        ILedgerTypes.Staff memory signer = ledger.staffOf(quote.merchantId, vm.addr(signerKey));
        return string.concat(
            what,
            " (token ",
            vm.toString(_tokenIndex(quote.token)),
            ", signer role ",
            vm.toString(uint256(signer.role)),
            " generation ",
            vm.toString(signer.generation),
            " named ",
            vm.toString(quote.signerGeneration),
            ", referral ",
            vm.toString(quote.referralBps),
            " bps to referrer ",
            vm.toString(quote.referrer == referrers[0] ? 0 : quote.referrer == referrers[1] ? 1 : 9),
            ", credit ",
            vm.toString(credit),
            ", expiry ",
            vm.toString(quote.expiry),
            " at ",
            vm.toString(block.timestamp),
            ")"
        );
    }

    function _record(ILedgerTypes.Order memory order, ILedgerTypes.LineItem[] memory lines, uint256 b, uint256 paid)
        private
        returns (uint256 index)
    {
        index = _purchases.length;
        _purchases.push();
        Purchase storage made = _purchases[index];
        made.order = order;
        made.buyer = uint8(b);
        made.paid = paid;
        for (uint256 i; i < lines.length; ++i) {
            _lines[index].push(lines[i]);
        }
        _observe(index);
    }

    function _randomLines(uint256 seed) private pure returns (ILedgerTypes.LineItem[] memory lines) {
        lines = new ILedgerTypes.LineItem[](1 + seed % 3);
        uint128[6] memory prices = [uint128(1), 7, 999, 1e6, 1e12, 1e17];
        for (uint256 i; i < lines.length; ++i) {
            lines[i] = _line(bytes32(i + 1), uint32(1 + (seed >> (4 + 8 * i)) % 3), prices[(seed >> (6 + 8 * i)) % 6]);
        }
    }

    // ------------------------------------------------------------------ returns

    /// @notice The buyer (or, refused, someone else) returns some lines for money.
    function returnItems(uint256 pick, uint32 mask, bool shipment, bool someoneElse) external fresh {
        _giveBack(pick, mask, shipment, someoneElse, false);
    }

    /// @notice The buyer returns some lines for store credit at the shop (with its bonus).
    function returnForCredit(uint256 pick, uint32 mask, bool shipment) external fresh {
        _giveBack(pick, mask, shipment, false, true);
    }

    function _giveBack(uint256 pick, uint32 mask, bool shipment, bool someoneElse, bool forCredit) private {
        (bool any, uint256 i) = _pick(pick);
        if (!any) return;
        ILedgerTypes.Order memory order = _purchases[i].order;
        uint32 bits = _mask(i, mask);
        address caller = customers[(_purchases[i].buyer + (someoneElse ? 1 : 0)) % CUSTOMERS];
        bool valid = !someoneElse && _returnable(i, bits, shipment);
        ILedgerTypes.LineItem[] memory lines = _lines[i];
        bytes memory call = forCredit
            ? abi.encodeCall(ledger.returnItemsForCredit, (order, lines, bits, shipment ? bytes32("PARCEL") : bytes32(0)))
            : abi.encodeCall(ledger.returnItems, (order, lines, bits, shipment ? bytes32("PARCEL") : bytes32(0)));
        if (!forCredit || !valid) return _refundAction(i, caller, call, valid, forCredit ? "return for credit" : "return");
        (uint256 amount, uint256 bonusNow, uint256 bonusLater) = _bonusSplit(i, bits);
        uint256 before = _purchases[i].refunded;
        _refundAction(i, caller, call, valid, "return for credit");
        _expect(_purchases[i].refunded - before == amount + bonusNow, "credit other than the refund and the sure bonus");
        _purchases[i].pending += bonusLater;
        _expect(
            ledger.pendingBonusOf(_purchaseId(ledger, order)) == _purchases[i].pending, "a bonus owed other than worked out"
        );
    }

    /// @dev What returning `bits` of purchase `i` for credit gives, by the handler's books: the refund (the lines'
    /// share less the fee, at most what escrow holds), the bonus on its money part given now (at most what the shop
    /// is sure to keep: escrow after the refund beyond what the lines still open could take back, a wei a line
    /// included), the rest later.
    function _bonusSplit(uint256 i, uint32 bits) private view returns (uint256 amount, uint256 bonusNow, uint256 bonusLater) {
        Purchase storage p = _purchases[i];
        uint256 fee = uint16(p.order.head);
        amount = _linesPrice(i, bits) * p.paid / p.order.total;
        amount -= amount * fee / BPS;
        if (amount > p.paid - p.refunded) amount = p.paid - p.refunded;
        uint256 cash = p.credit == 0 ? amount : amount * (p.paid - p.credit) / p.paid;
        uint256 bonus = cash * ledger.merchant(uint64(p.order.head >> 32)).creditBonusBps / BPS;
        uint32 open = uint32((1 << _lines[i].length) - 1)
            & ~(ledger.purchaseState(_purchaseId(ledger, p.order)).returnedLines | bits);
        uint256 sure = p.paid - p.refunded - amount;
        uint256 share = _linesPrice(i, open) * p.paid / p.order.total;
        // and a wei a line for each line's own rounding, while any line is open
        uint256 owed = open == 0 ? 0 : share - share * fee / BPS + _lines[i].length;
        sure = sure > owed ? sure - owed : 0;
        bonusNow = bonus < sure ? bonus : sure;
        bonusLater = bonus - bonusNow;
    }

    /// @dev The list price of purchase `i`'s lines in `bits`.
    function _linesPrice(uint256 i, uint32 bits) private view returns (uint256 price) {
        for (uint256 l; l < _lines[i].length; ++l) {
            if (bits >> l & 1 == 1) price += uint256(_lines[i][l].quantity) * _lines[i][l].unitPrice;
        }
    }

    /// @notice The buyer (or, refused, someone else) exchanges lines for a new order of the shop, signed by its
    /// owner or an agent, paying the difference or getting the leftover; sometimes the new order is another
    /// shop's or in another token (refused), or otherwise invalid as for `buy`.
    function exchange(uint256 pick, uint32 mask, bool shipment, uint256 seed, uint8 twist) external fresh {
        (bool any, uint256 i) = _pick(pick);
        if (!any || _purchases.length >= MAX_PURCHASES) return;
        Swap memory x;
        x.i = i;
        x.bits = _mask(i, mask);
        x.shipment = shipment;
        Purchase storage p = _purchases[i];
        x.buyer = p.buyer;
        uint256 s;
        while (shopIds[s] != uint64(p.order.head >> 32)) ++s;
        uint256 w = twist % 8; // 0: someone else; 1: another shop's order; 2: another token; else as it should be
        x.caller = customers[(x.buyer + (w == 0 ? 1 : 0)) % CUSTOMERS];
        uint256 ns = w == 1 ? (s + 1) % SHOPS : s;
        x.token = address(uint160(p.order.payment >> 96));
        Quote memory quote = Quote({
            merchantId: shopIds[ns],
            termsId: _terms[ns][seed % _terms[ns].length],
            customer: seed >> 8 & 1 == 0 ? address(0) : customers[x.buyer],
            token: w == 2 ? tokens[(_tokenIndex(x.token) + 1 + (seed >> 9) % (TOKENS - 1)) % TOKENS] : x.token,
            referrer: seed >> 10 & 3 == 0 ? referrers[0] : address(0),
            referralBps: 0,
            expiry: uint40(block.timestamp + DAY),
            orderRef: bytes32(++_orderCount),
            signerGeneration: 0
        });
        if (quote.referrer != address(0)) quote.referralBps = uint16([0, 1, 500, 10_000][seed >> 12 & 3]);
        uint256 signerKey = seed >> 14 & 1 == 0 ? _ownerKeys[ns] : _agentKeys[2 * ns + (seed >> 15 & 1)];
        quote.signerGeneration = _signedGeneration(quote.merchantId, signerKey, seed >> 16);
        x.newLines = _randomLines(seed >> 20);
        x.newOrder = _order(ledger, quote, x.newLines);
        (, bool orderValid) = _creditAndValidity(x.buyer, quote, x.newOrder.total, signerKey, 0);
        x.valid = w > 2 && orderValid && _returnable(i, x.bits, shipment);
        x.signature = _signOrder(ledger, signerKey, x.newOrder);
        _exchange(x);
    }

    /// @dev An exchange's inputs and what the handler works out for it.
    struct Swap {
        uint256 i;
        uint32 bits;
        bool shipment;
        uint8 buyer;
        address caller;
        address token;
        ILedgerTypes.Order newOrder;
        ILedgerTypes.LineItem[] newLines;
        bytes signature;
        bool valid;
        uint256 due;
        uint256 creditApplied;
        uint256 value;
    }

    /// @dev Makes the exchange and books it: the old purchase refunded its quote (by the handler's books), the new
    /// one paid what entered escrow beyond that refund (its total, but for a fee-on-transfer token).
    function _exchange(Swap memory x) private {
        _exchangeTerms(x);
        Purchase storage p = _purchases[x.i];
        bytes memory call = abi.encodeCall(
            ledger.exchange,
            (p.order, _lines[x.i], x.bits, x.shipment ? bytes32("PARCEL") : bytes32(0), x.newOrder, x.newLines, x.signature)
        );
        _observe(x.i);
        (bool ok, int256 entered) =
            _measured(x.token, uint64(p.order.head >> 32), customers[x.buyer], x.value, x.caller, call);
        _expect(ok == x.valid, ok ? "exchange accepted what it must refuse" : _refused("exchange refused a valid one"));
        _observe(x.i);
        if (ok) _bookExchange(x, entered);
    }

    /// @dev The refund as `returnItems` would pay it (the lines' share less the fee, at most what escrow holds),
    /// the credit part it applies to the new order first, and the ETH difference to send.
    function _exchangeTerms(Swap memory x) private view {
        Purchase storage p = _purchases[x.i];
        uint256 total = x.newOrder.total;
        x.due = _linesPrice(x.i, x.bits) * p.paid / p.order.total;
        x.due -= x.due * uint16(p.order.head) / BPS;
        if (x.due > p.paid - p.refunded) x.due = p.paid - p.refunded;
        uint256 money = p.credit == 0 ? x.due : x.due * (p.paid - p.credit) / p.paid;
        x.creditApplied = x.due - money < total ? x.due - money : total;
        uint256 moneyApplied = money < total - x.creditApplied ? money : total - x.creditApplied;
        if (x.token == address(0)) x.value = total - x.creditApplied - moneyApplied;
    }

    /// @dev The refund left the old purchase's escrow and the new one's was paid: what entered is paid - refund.
    function _bookExchange(Swap memory x, int256 entered) private {
        int256 paid = entered + int256(x.due);
        _expect(paid > 0, "an exchange's new purchase put nothing into escrow");
        if (paid <= 0) return;
        if (x.token != tokens[2]) {
            _expect(uint256(paid) == x.newOrder.total, "an exchange's new purchase paid other than its total");
        }
        _purchases[x.i].refunded += x.due;
        uint256 index = _record(x.newOrder, x.newLines, x.buyer, uint256(paid));
        _purchases[index].credit = x.creditApplied;
        bytes32 newId = _purchaseId(ledger, x.newOrder);
        _expect(ledger.creditUsedOf(newId).amount == x.creditApplied, "an exchange's credit part is not applied first");
    }

    /// @notice The buyer signs a return request for anyone to relay later (nothing is sent).
    function signReturn(uint256 pick, uint32 mask, bool shipment, uint8 validFor) external fresh {
        (bool any, uint256 i) = _pick(pick);
        if (!any || _customerKeys[_purchases[i].buyer] == 0) return;
        ILedgerTypes.ReturnRequest memory request = ILedgerTypes.ReturnRequest({
            lineMask: _mask(i, mask),
            shipmentRef: shipment ? bytes32("PARCEL-2") : bytes32(0),
            nonce: _signed.length,
            deadline: block.timestamp + [uint256(1), 60, DAY][validFor % 3]
        });
        bytes32 purchaseId = _purchaseId(ledger, _purchases[i].order);
        _signed.push(Signed(i, request, _signReturn(ledger, _customerKeys[_purchases[i].buyer], purchaseId, request)));
    }

    /// @notice A relayer submits a signed return (maybe used, cancelled or expired already).
    function relayReturn(uint256 pick, address relayer) external fresh {
        if (_signed.length == 0) return;
        Signed memory signed = _signed[pick % _signed.length];
        uint256 i = signed.purchase;
        bool valid = _returnable(i, signed.request.lineMask, signed.request.shipmentRef != 0)
            && !ledger.nonceUsed(customers[_purchases[i].buyer], signed.request.nonce)
            && block.timestamp <= signed.request.deadline;
        if (relayer == address(0)) relayer = address(0x2E1A7);
        bytes memory call =
            abi.encodeCall(ledger.returnItemsBySig, (_purchases[i].order, _lines[i], signed.request, signed.signature));
        _refundAction(i, relayer, call, valid, "relayed return");
    }

    /// @notice The buyer cancels a signed request's nonce (twice is refused).
    function cancelNonce(uint256 pick) external fresh {
        if (_signed.length == 0) return;
        Signed memory signed = _signed[pick % _signed.length];
        address buyer = customers[_purchases[signed.purchase].buyer];
        bool valid = !ledger.nonceUsed(buyer, signed.request.nonce);
        (bool ok,) = _as(buyer, 0, abi.encodeCall(ledger.cancelNonce, (signed.request.nonce)));
        _expect(ok == valid, "cancelNonce");
    }

    /// @dev Whether the buyer may return `bits` now: window open, lines not returned, shipment when needed.
    function _returnable(uint256 i, uint32 bits, bool shipment) private view returns (bool) {
        ILedgerTypes.Order memory order = _purchases[i].order;
        ILedgerTypes.PurchaseState memory state = ledger.purchaseState(_purchaseId(ledger, order));
        return state.flags & SETTLED == 0 && state.returnedLines & bits == 0
            && block.timestamp < ledger.returnDeadline(order) && (shipment || uint8(order.head >> 16) & 1 == 0);
    }

    // ------------------------------------------------------------------ staff

    /// @notice Someone refunds out of escrow: the owner freely, an agent within (or beyond) its budget, anyone
    /// else refused; sometimes more than the purchase holds.
    function goodwill(uint256 pick, uint8 actor, uint8 share) external fresh {
        (bool any, uint256 i) = _pick(pick);
        if (!any) return;
        ILedgerTypes.Order memory order = _purchases[i].order;
        address caller = _actor(i, actor);
        uint256 escrow = _inEscrow(ledger, order);
        uint256 amount = escrow * [uint256(1), 10, 50, 100, 150][share % 5] / 100;
        if (amount == 0) amount = 1;
        bool valid = amount <= escrow && _mayRefund(i, caller, amount);
        _refundAction(
            i, caller, abi.encodeCall(ledger.goodwillRefund, (order, amount, ILedgerTypes.Reason.Damaged, "")), valid, "goodwill"
        );
    }

    /// @notice Staff refund lines the customer keeps ("keep it"): their share, no fee, within the same mandate.
    function keepIt(uint256 pick, uint8 actor, uint32 mask) external fresh {
        (bool any, uint256 i) = _pick(pick);
        if (!any) return;
        address caller = _actor(i, actor);
        uint32 bits = _mask(i, mask);
        uint256 amount = _keepItAmount(i, bits);
        bool valid = ledger.purchaseState(_purchaseId(ledger, _purchases[i].order)).returnedLines & bits == 0
            && amount != 0 && _mayRefund(i, caller, amount);
        bytes memory call =
            abi.encodeCall(ledger.refundWithoutReturn, (_purchases[i].order, _lines[i], bits, ILedgerTypes.Reason.WrongItem));
        _refundAction(i, caller, call, valid, "keep it");
    }

    /// @dev The lines' share of what was paid, capped at what the purchase still holds.
    function _keepItAmount(uint256 i, uint32 bits) private view returns (uint256 amount) {
        ILedgerTypes.Order memory order = _purchases[i].order;
        (,,, uint256 paid) = ledger.purchaseOf(order);
        amount = _linesPrice(i, bits) * paid / order.total;
        uint256 escrow = _inEscrow(ledger, order);
        if (amount > escrow) amount = escrow;
    }

    /// @notice Staff add days to an open window: an agent within its mandate (or beyond, refused), the owner up
    /// to 365 days; never a closed window, a final sale or a finished purchase.
    function extendWindow(uint256 pick, uint8 actor, uint16 days_) external fresh {
        (bool any, uint256 i) = _pick(pick);
        if (!any) return;
        ILedgerTypes.Order memory order = _purchases[i].order;
        address caller = _actor(i, actor);
        days_ = uint16([1, 2, 4, 6, 366][days_ % 5]);
        ILedgerTypes.PurchaseState memory state = ledger.purchaseState(_purchaseId(ledger, order));
        ILedgerTypes.Staff memory staff = ledger.staffOf(uint64(order.head >> 32), caller);
        uint256 limit = staff.role == ILedgerTypes.Role.Owner ? 365 : staff.maxExtensionDays;
        bool valid = staff.role != ILedgerTypes.Role.None && _active(i, state) && uint32(order.payment) != 0
            && block.timestamp < ledger.returnDeadline(order) && state.extensionDays + days_ <= limit;
        _observe(i);
        (bool ok,) = _as(caller, 0, abi.encodeCall(ledger.extendWindow, (order, days_, ILedgerTypes.Reason.LateDelivery)));
        _expect(ok == valid, "extendWindow");
        _observe(i);
    }

    /// @notice The owner sets a window's extension outright: reopens a closed window, or extends an open one;
    /// never to fewer days than it has (an extension given is the customer's), so the window's floor holds.
    function setWindowExtension(uint256 pick, uint8 actor, uint16 days_) external fresh {
        (bool any, uint256 i) = _pick(pick);
        if (!any) return;
        ILedgerTypes.Order memory order = _purchases[i].order;
        address caller = _actor(i, actor);
        days_ = days_ % 8;
        ILedgerTypes.PurchaseState memory state = ledger.purchaseState(_purchaseId(ledger, order));
        bool valid = ledger.staffOf(uint64(order.head >> 32), caller).role == ILedgerTypes.Role.Owner && _active(i, state)
            && uint32(order.payment) != 0 && days_ > state.extensionDays;
        (bool ok,) = _as(caller, 0, abi.encodeCall(ledger.setWindowExtension, (order, days_, ILedgerTypes.Reason.Other)));
        _expect(ok == valid, "setWindowExtension");
        _observe(i);
    }

    /// @notice Staff (or anyone, refused) confirm delivery, now: a delivery cannot be dated back (issue #20,
    /// item 1), so the window then runs its full length from now.
    function confirmDelivery(uint256 pick, uint8 actor) external fresh {
        (bool any, uint256 i) = _pick(pick);
        if (!any) return;
        ILedgerTypes.Order memory order = _purchases[i].order;
        address caller = _actor(i, actor);
        ILedgerTypes.PurchaseState memory state = ledger.purchaseState(_purchaseId(ledger, order));
        uint256 wait = uint32(order.referral >> 48);
        bool valid = ledger.staffOf(uint64(order.head >> 32), caller).role != ILedgerTypes.Role.None && _active(i, state)
            && wait != 0 && state.deliveredAfter == 0 && block.timestamp < state.purchasedAt + wait;
        _observe(i);
        (bool ok,) = _as(caller, 0, abi.encodeCall(ledger.confirmDelivery, (order)));
        _expect(ok == valid, "confirmDelivery");
        _observe(i);
    }

    function _mayRefund(uint256 i, address caller, uint256 amount) private view returns (bool) {
        ILedgerTypes.Order memory order = _purchases[i].order;
        uint64 merchantId = uint64(order.head >> 32);
        ILedgerTypes.Role role = ledger.staffOf(merchantId, caller).role;
        if (role == ILedgerTypes.Role.Owner) return true;
        return role == ILedgerTypes.Role.Agent
            && amount <= ledger.budgetOf(merchantId, caller, address(uint160(order.payment >> 96)));
    }

    function _active(uint256 i, ILedgerTypes.PurchaseState memory state) private view returns (bool) {
        return state.flags & SETTLED == 0 && state.returnedLines != uint32((1 << _lines[i].length) - 1);
    }

    /// @dev The owner, an agent of the shop (current or not), another shop's agent or the buyer.
    function _actor(uint256 i, uint8 actor) private view returns (address) {
        uint256 s;
        while (shopIds[s] != uint64(_purchases[i].order.head >> 32)) ++s;
        uint256 which = actor % 5;
        if (which == 0) return vm.addr(_ownerKeys[s]);
        if (which < 3) return vm.addr(_agentKeys[2 * s + which - 1]);
        if (which == 3) return vm.addr(_agentKeys[(2 * s + 2) % (2 * SHOPS)]);
        return customers[_purchases[i].buyer];
    }

    // ------------------------------------------------------------------ settlement and money owed

    /// @notice Anyone settles a batch of up to four purchases: exactly those whose window has closed are settled,
    /// what they held is paid out, the rest is passed over.
    function settle(uint256 picks, address caller) external fresh {
        if (_purchases.length == 0) return;
        uint256[] memory chosen = new uint256[](1 + picks % 4);
        ILedgerTypes.Order[] memory batch = new ILedgerTypes.Order[](chosen.length);
        for (uint256 k; k < chosen.length; ++k) {
            chosen[k] = (picks >> (8 + 8 * k)) % _purchases.length;
            batch[k] = _purchases[chosen[k]].order;
            _observe(chosen[k]);
            address paidIn = address(uint160(batch[k].payment >> 96));
            _touch(uint64(batch[k].head >> 32), address(0), paidIn);
            _touch(0, address(uint160(batch[k].referral >> 96)), paidIn);
            // v3: a bonus still owed is credited to the buyer at settlement
            _touch(uint64(batch[k].head >> 32), customers[_purchases[chosen[k]].buyer], paidIn);
        }
        address token = address(uint160(batch[0].payment >> 96));
        (bool[] memory closes, uint256 expected) = _closing(chosen, token);
        if (caller == address(0)) caller = address(0x5E771E);
        int256 before = _implied(token);
        uint256 creditBefore = _creditIn(token);
        (bool ok, bytes memory result) = _as(caller, 0, abi.encodeCall(ledger.settle, (batch)));
        _expect(ok, "a settlement batch failed");
        if (!ok) return;
        uint256 predicted;
        uint256 bonuses;
        for (uint256 k; k < chosen.length; ++k) {
            if (!closes[k]) continue;
            ++predicted;
            Purchase storage p = _purchases[chosen[k]];
            _expect(ledger.purchaseState(_purchaseId(ledger, p.order)).flags & SETTLED != 0, "a closed purchase not settled");
            // the bonus owed, out of what the merchant keeps and never more
            uint256 kept = p.paid - p.refunded;
            uint256 bonus = p.pending < kept ? p.pending : kept;
            _expect(bonus <= kept, "a bonus at settlement above what the merchant keeps");
            if (address(uint160(p.order.payment >> 96)) == token) bonuses += bonus;
            p.refunded += bonus;
            p.pending = 0;
            p.settled = p.paid - p.refunded;
            p.settledSeen = true;
            _expect(ledger.pendingBonusOf(_purchaseId(ledger, p.order)) == 0, "a bonus still owed after settlement");
        }
        _expect(abi.decode(result, (uint256)) == predicted, "settled a purchase whose window is open");
        // what was in escrow left it: to the merchant, its referrer, or as the bonus to the buyer's credit
        _expect(before - _implied(token) == int256(expected), "settlement paid out other than what was in escrow");
        _expect(_creditIn(token) == creditBefore + bonuses, "the bonuses credited at settlement are not those owed");
    }

    /// @dev Which of the chosen purchases a batch must settle (not settled, window closed, first in the batch),
    /// and what those in `token` hold by the handler's books.
    function _closing(uint256[] memory chosen, address token) private view returns (bool[] memory closes, uint256 sum) {
        closes = new bool[](chosen.length);
        for (uint256 k; k < chosen.length; ++k) {
            Purchase storage p = _purchases[chosen[k]];
            bool twice;
            for (uint256 j; j < k; ++j) {
                twice = twice || chosen[j] == chosen[k];
            }
            closes[k] = !twice && !p.settledSeen && block.timestamp >= ledger.returnDeadline(p.order);
            if (closes[k] && address(uint160(p.order.payment >> 96)) == token) sum += p.paid - p.refunded;
        }
    }

    /// @notice A payee withdraws its kept payments in a token (to itself; nothing owed is refused).
    function withdraw(uint8 payee, uint8 token) external fresh {
        address account = payee % 2 == 0 ? customers[CUSTOMERS - 1] : referrers[payee / 2 % 2];
        address t = tokens[token % TOKENS];
        uint256 owed = ledger.deferredBalance(t, account);
        address to = account.code.length == 0 ? account : vm.addr(0xD0);
        _touch(0, account, t);
        int256 before = _near(t, 0, account);
        (bool ok,) = _as(account, 0, abi.encodeCall(ledger.withdraw, (t, to)));
        _expect(ok || owed == 0 || (t == address(burner) && burner.burning()), "withdraw refused what is owed");
        _expect(_near(t, 0, account) == before, "a withdrawal changed escrow");
        _expect(!ok || ledger.deferredBalance(t, account) == 0, "a withdrawal left a payment kept");
    }

    /// @notice Anyone sends a shop's kept payments to its payout of the day.
    function withdrawMerchant(uint8 shop, uint8 token) external fresh {
        uint256 s = shop % SHOPS;
        address t = tokens[token % TOKENS];
        _touch(shopIds[s], address(0), t);
        int256 before = _near(t, shopIds[s], address(0));
        (bool ok,) = _as(address(0x5E771E), 0, abi.encodeCall(ledger.withdrawMerchant, (shopIds[s], t)));
        _expect(_near(t, shopIds[s], address(0)) == before, "a merchant withdrawal changed escrow");
        _expect(!ok || ledger.merchantDeferredBalance(shopIds[s], t) == 0, "a merchant withdrawal left some kept");
    }

    /// @notice A customer cashes out the money part of its credit at a shop (refused while locked).
    function cashOut(uint8 customer, uint8 shop, uint8 token) external fresh {
        address account = customers[customer % CUSTOMERS];
        uint64 id = shopIds[shop % SHOPS];
        address t = tokens[token % TOKENS];
        ILedgerTypes.Credit memory held = ledger.creditOf(id, account, t);
        ILedgerTypes.Merchant memory found = ledger.merchant(id);
        // v3: the credit's own date (fixed at issue), a shop that stopped trading, or a token it no longer takes.
        bool valid = held.amount != 0
            && (block.timestamp >= held.cashableAt || found.activeTerms == 0 || !ledger.accepts(id, t));
        _touch(id, account, t);
        int256 before = _near(t, id, account);
        (bool ok,) = _as(account, 0, abi.encodeCall(ledger.cashOutCredit, (id, t)));
        _expect(ok == valid, "cashOutCredit");
        _expect(_near(t, id, account) == before, "a cash-out changed escrow");
    }

    // ------------------------------------------------------------------ the shops' settings

    /// @notice An owner removes an agent or adds one back, or sets an agent's budget and mandate.
    function staffChange(uint8 shop, uint8 agent, uint8 what, uint8 token) external fresh {
        uint256 s = shop % SHOPS;
        address owner = vm.addr(_ownerKeys[s]);
        address account = vm.addr(_agentKeys[2 * s + agent % 2]);
        bool isAgent = ledger.staffOf(shopIds[s], account).role == ILedgerTypes.Role.Agent;
        vm.startPrank(owner);
        if (what % 3 == 0) {
            if (isAgent) ledger.removeAgent(shopIds[s], account);
            else ledger.addAgent(shopIds[s], account);
        } else if (isAgent) {
            ledger.setBudget(shopIds[s], account, tokens[token % TOKENS], [uint256(0), 1, 1e6, 1e15][what % 4]);
            ledger.setMandate(shopIds[s], account, uint16([0, 2, 5][what % 3]));
        }
        vm.stopPrank();
    }

    /// @notice An owner lists or unlists a token, changes its credit bonus or cash-out delay, or moves its payout.
    function shopSettings(uint8 shop, uint8 what, uint16 value) external fresh {
        uint256 s = shop % SHOPS;
        uint64 id = shopIds[s];
        vm.startPrank(vm.addr(_ownerKeys[s]));
        uint256 w = what % 4;
        if (w == 0) ledger.setTokenAccepted(id, tokens[1 + value % (TOKENS - 1)], value >> 8 & 1 == 0);
        else if (w == 1) ledger.setCreditBonus(id, uint16(value % (BPS + 1)));
        else if (w == 2) ledger.setCreditCashOutDelay(id, uint32([0, 1, DAY][value % 3]));
        else ledger.setPayout(id, s == 2 ? _payouts[value % 2] : vm.addr(0xFA0 + s + 3 * (value % 2)));
        vm.stopPrank();
    }

    /// @notice An owner publishes new terms or retires some (orders quoted under them are then refused).
    function terms(uint8 shop, bool publish, uint32 window, uint16 fee, uint32 wait, uint8 which) external fresh {
        uint256 s = shop % SHOPS;
        vm.startPrank(vm.addr(_ownerKeys[s]));
        if (publish && _terms[s].length < MAX_TERMS_PER_SHOP) {
            _terms[s].push(
                ledger.publishTerms(
                    shopIds[s], uint32(window % (4 * DAY)), uint16(fee % (BPS + 1)), uint32(wait % (3 * DAY)), fee & 1 == 1
                )
            );
        } else {
            uint64 id = _terms[s][which % _terms[s].length];
            if (!ledger.terms(id).retired) ledger.retireTerms(id);
        }
        vm.stopPrank();
    }

    /// @notice The hostile parts of the world change their minds: the gas-burning token starts or stops burning,
    /// a contract that refused ETH starts (or stops) taking it.
    function hostility(uint8 which, bool on) external fresh {
        uint256 w = which % 4;
        if (w == 0) burner.setBurning(on);
        else [shopWallet, rejectingCustomer, rejectingReferrer][w - 1].setAccepting(on);
    }

    /// @notice Someone sends tokens to the ledger outright: more held than owed, never less. The gas-burning
    /// token refuses while it burns, and the handler goes on: no handler call reverts (`fail_on_revert`), since
    /// forge leaves a reverted call out of the sequence it reports while what the call did outside the EVM's
    /// journal stays (a warp; an undone `vm.deal`: see the constructor), so a failure after one would not replay.
    function donate(uint8 token, uint64 amount) external fresh {
        address t = tokens[1 + token % (TOKENS - 1)];
        uint256 before = TestToken(t).balanceOf(address(ledger));
        // Low level: the no-return token's transfer returns nothing, the gas burner's fails.
        _on(t, customers[0], abi.encodeWithSignature("transfer(address,uint256)", ledger, uint256(amount)));
        donated[t] += TestToken(t).balanceOf(address(ledger)) - before;
        touchedTokens |= 1 << _tokenIndex(t);
    }

    // ------------------------------------------------------------------ feedback and contacts

    /// @notice The buyer (or, refused, someone else) reviews a purchase; a new review replaces the old one.
    function review(uint256 pick, uint8 rating, bool someoneElse) external fresh {
        (bool any, uint256 i) = _pick(pick);
        if (!any) return;
        address caller = customers[(_purchases[i].buyer + (someoneElse ? 1 : 0)) % CUSTOMERS];
        rating = rating % 7;
        bool valid = !someoneElse && rating >= 1 && rating <= 5;
        (bool ok,) = _on(address(feedback), caller, abi.encodeCall(feedback.review, (_purchases[i].order, rating, "r")));
        _expect(ok == valid, "review");
        if (ok) {
            bytes32 purchaseId = _purchaseId(ledger, _purchases[i].order);
            _expect(feedback.feedbackOf(purchaseId).rating == rating, "the review is not the latest");
        }
    }

    /// @notice The buyer gives a purchase its net promoter score, once.
    function nps(uint256 pick, uint8 score, bool someoneElse) external fresh {
        (bool any, uint256 i) = _pick(pick);
        if (!any) return;
        address caller = customers[(_purchases[i].buyer + (someoneElse ? 1 : 0)) % CUSTOMERS];
        score = score % 12;
        bool valid = !someoneElse && score <= 10 && !_purchases[i].npsGiven;
        (bool ok,) = _on(address(feedback), caller, abi.encodeCall(feedback.giveNps, (_purchases[i].order, score)));
        _expect(ok == valid, "giveNps");
        if (ok) {
            _purchases[i].npsGiven = true;
            ILedgerFeedback.Feedback memory given = feedback.feedbackOf(_purchaseId(ledger, _purchases[i].order));
            _expect(given.npsGiven && given.nps == score, "the score is not the one given");
        }
    }

    /// @notice Staff (or the customer itself; a stranger is refused) log a contact moment.
    /// v3: dated now (0), at or after the shop's registration, or (refused) before it or in the future.
    function logContact(uint8 shop, uint8 customer, uint8 who, uint8 when) external fresh {
        uint256 s = shop % SHOPS;
        uint256 c = customer % CUSTOMERS;
        uint256 by = who % 4;
        address caller = by == 0 ? vm.addr(_ownerKeys[s]) : by == 1 ? vm.addr(_agentKeys[2 * s]) : by == 2
            ? customers[c]
            : address(0x5E771E);
        uint256 since = ledger.merchant(shopIds[s]).registeredAt;
        uint40 at = uint40([0, since - 1, since, block.timestamp, block.timestamp + 1][when % 5]);
        bool valid = (by == 0 || by == 2 || ledger.staffOf(shopIds[s], caller).role != ILedgerTypes.Role.None)
            && (at == 0 || (at >= since && at <= block.timestamp));
        bytes32 content = keccak256(abi.encode(_contacts.length, s, c));
        (bool ok,) = _as(
            caller,
            0,
            abi.encodeCall(
                ledger.logContact,
                (shopIds[s], customers[c], bytes32(0), ILedgerTypes.Channel.Chat, ILedgerTypes.ContactKind.Question, at, content)
            )
        );
        _expect(ok == valid, "logContact");
        if (ok && by != 2) _contacts.push(Contact(shopIds[s], uint8(c), content, false));
    }

    /// @notice A customer rates a contact moment staff logged with it (CSAT), once, 1 to 5.
    function rateContact(uint256 pick, uint8 score) external fresh {
        if (_contacts.length == 0) return;
        Contact storage contact = _contacts[pick % _contacts.length];
        score = score % 7;
        bool valid = score >= 1 && score <= 5 && !contact.rated;
        (bool ok,) = _on(
            address(feedback),
            customers[contact.customer],
            abi.encodeCall(feedback.rateContact, (contact.merchantId, contact.contentHash, score))
        );
        _expect(ok == valid, "rateContact");
        if (ok) contact.rated = true;
    }

    // ------------------------------------------------------------------ time

    /// @notice The clock jumps: to a second before, at or after a purchase's deadline or the end of its longest
    /// wait for delivery, or by up to two days.
    function warp(uint256 pick, uint8 edge, uint32 by) external fresh {
        for (uint256 k; k < _purchases.length; ++k) {
            _observe(k);
        }
        uint256 target = block.timestamp + by % (2 * DAY);
        (bool any, uint256 i) = _pick(pick);
        if (any && edge % 3 != 2) {
            ILedgerTypes.Order memory order = _purchases[i].order;
            target = edge % 3 == 0
                ? ledger.returnDeadline(order)
                : ledger.purchaseState(_purchaseId(ledger, order)).purchasedAt + uint32(order.referral >> 48);
            target = target + edge / 3 % 3 - 1;
        }
        if (target > block.timestamp) vm.warp(target);
        for (uint256 k; k < _purchases.length; ++k) {
            _observe(k);
        }
    }

    // ------------------------------------------------------------------ measuring

    /// @dev Runs a call that moves a purchase's escrow to its buyer and books what left (for an accepted one).
    function _refundAction(uint256 i, address caller, bytes memory call, bool valid, string memory what) private {
        ILedgerTypes.Order memory order = _purchases[i].order;
        address token = address(uint160(order.payment >> 96));
        address buyer = customers[_purchases[i].buyer];
        _observe(i);
        _touch(uint64(order.head >> 32), buyer, token);
        int256 before = _near(token, uint64(order.head >> 32), buyer);
        (bool ok,) = _as(caller, 0, call);
        _expect(ok == valid, string.concat(what, ok ? " accepted what it must refuse" : " refused what it must do"));
        int256 left = before - _near(token, uint64(order.head >> 32), buyer);
        _expect(left >= 0, string.concat(what, " put money into escrow"));
        if (left > 0) _purchases[i].refunded += uint256(left);
        _observe(i);
    }

    /// @dev Makes `call` as `account` and measures what entered escrow (`_near` after less before).
    function _measured(address token, uint64 merchantId, address account, uint256 value, bytes memory call)
        private
        returns (bool ok, int256 entered)
    {
        return _measured(token, merchantId, account, value, account, call);
    }

    /// @dev The same, the call made by `caller` (an exchange tried by someone else than the buyer).
    function _measured(address token, uint64 merchantId, address account, uint256 value, address caller, bytes memory call)
        private
        returns (bool ok, int256 entered)
    {
        _touch(merchantId, account, token);
        _touch(merchantId, caller, token);
        int256 before = _near(token, merchantId, account);
        (ok,) = _as(caller, value, call);
        entered = _near(token, merchantId, account) - before;
    }

    /// @dev `_implied` for a call that can move money only between escrow and one shop and one account (what
    /// it does to anyone else shows in the invariants' exact count of what the ledger owes).
    function _near(address token, uint64 merchantId, address account) internal view returns (int256) {
        // the places are those `_touch` notes for the same shop, account and token
        uint256 held = token == address(0) ? address(ledger).balance : TestToken(token).balanceOf(address(ledger));
        uint256 owed = ledger.merchantDeferredBalance(merchantId, token) + ledger.deferredBalance(token, account)
            + ledger.creditOf(merchantId, account, token).amount;
        return int256(held) - int256(owed);
    }

    /// @dev What the ledger holds in `token` less what it owes outside escrow at every place it may owe
    /// (credit and payments kept): escrow plus donations, measured.
    function _implied(address token) internal view returns (int256) {
        uint256 held = token == address(0) ? address(ledger).balance : TestToken(token).balanceOf(address(ledger));
        uint256 owed;
        for (uint256 k; k < _owed.length; ++k) {
            if (_owed[k].token == token) owed += owedAt(_owed[k]);
        }
        return int256(held) - int256(owed);
    }

    /// @notice What the ledger owes at one place, from its views.
    function owedAt(Owed memory place) public view returns (uint256) {
        if (place.account == address(0)) return ledger.merchantDeferredBalance(place.merchantId, place.token);
        if (place.merchantId == 0) return ledger.deferredBalance(place.token, place.account);
        return ledger.creditOf(place.merchantId, place.account, place.token).amount;
    }

    /// @dev Notes the places a call on a purchase of `token` at shop `merchantId` for `account` may owe money:
    /// the account's credit there and payments kept for it, and payments kept for the shop.
    function _touch(uint64 merchantId, address account, address token) internal {
        touchedTokens |= 1 << _tokenIndex(token);
        if (account != address(0)) {
            _note(Owed(0, account, token));
            if (merchantId != 0) _note(Owed(merchantId, account, token));
        }
        if (merchantId != 0) _note(Owed(merchantId, address(0), token));
    }

    function _note(Owed memory place) private {
        bytes32 key = keccak256(abi.encode(place));
        if (_owedKnown[key]) return;
        _owedKnown[key] = true;
        _owed.push(place);
        if (place.merchantId != 0 && place.account != address(0)) _creditPlaces.push(place);
    }

    /// @dev v3: a credit's cash-out date never moves later while it holds something (credit added joins the
    /// earlier date; a higher delay applies to credit issued since). Checked for the tokens the action touched.
    function _checkCreditDates() private {
        for (uint256 k; k < _creditPlaces.length; ++k) {
            Owed memory place = _creditPlaces[k];
            if (touchedTokens >> _tokenIndex(place.token) & 1 == 0) continue;
            ILedgerTypes.Credit memory held = ledger.creditOf(place.merchantId, place.account, place.token);
            ILedgerTypes.Credit memory seen = _creditSeen[k];
            _expect(held.cash <= held.amount, "a credit's money part exceeds it");
            if (seen.amount != 0 && held.amount != 0) {
                _expect(held.cashableAt <= seen.cashableAt, "a credit's cash-out date moved later");
            }
            _creditSeen[k] = held;
        }
    }

    /// @dev All the store credit held in `token` at the places noted so far.
    function _creditIn(address token) private view returns (uint256 sum) {
        for (uint256 k; k < _creditPlaces.length; ++k) {
            Owed memory place = _creditPlaces[k];
            if (place.token == token) sum += ledger.creditOf(place.merchantId, place.account, token).amount;
        }
    }

    /// @dev Raises the purchase's window floor to what is promised now: its deadline once the window runs, and
    /// while it awaits delivery, the full window from this moment (a delivery confirmed now would give that).
    function _observe(uint256 i) internal {
        touchedPurchases |= 1 << i;
        ILedgerTypes.Order memory order = _purchases[i].order;
        ILedgerTypes.PurchaseState memory state = ledger.purchaseState(_purchaseId(ledger, order));
        if (state.flags & SETTLED != 0) return;
        uint256 wait = uint32(order.referral >> 48);
        uint256 promised = ledger.returnDeadline(order);
        if (uint32(order.payment) != 0 && wait != 0 && state.deliveredAfter == 0
            && block.timestamp < state.purchasedAt + wait) {
            promised = block.timestamp + uint32(order.payment) + uint256(state.extensionDays) * DAY;
        }
        if (promised > _purchases[i].floor) _purchases[i].floor = promised;
    }

    function _pick(uint256 pick) private view returns (bool, uint256) {
        if (_purchases.length == 0) return (false, 0);
        return (true, pick % _purchases.length);
    }

    /// @dev Lines of purchase `i` from a fuzzed mask: those of its lines the mask names, or one of them.
    function _mask(uint256 i, uint32 mask) private view returns (uint32 bits) {
        uint256 count = _lines[i].length;
        bits = uint32(mask & ((1 << count) - 1));
        if (bits == 0) bits = uint32(1 << (mask % count));
    }

    function _as(address caller, uint256 value, bytes memory call) internal returns (bool ok, bytes memory result) {
        vm.prank(caller);
        (ok, result) = address(ledger).call{value: value}(call);
        if (!ok) lastRevert = result;
    }

    /// @notice What the ledger's last refused call reverted with, for the failure messages.
    bytes public lastRevert;

    function _on(address target, address caller, bytes memory call) internal returns (bool ok, bytes memory result) {
        vm.prank(caller);
        (ok, result) = target.call(call);
    }

    /// @dev `what`, with the revert data of the refused call (its error and arguments), to tell why.
    function _refused(string memory what) internal view returns (string memory) {
        return string.concat(what, ": ", vm.toString(lastRevert));
    }

    function _expect(bool holds, string memory what) internal {
        if (!holds && bytes(failure).length == 0) failure = what;
    }
}

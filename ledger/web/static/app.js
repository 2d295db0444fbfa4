// The page's wallet side: sign in (EIP-4361 through personal_sign), sign a return (eth_signTypedData_v4),
// send the transactions the server prepared (eth_sendTransaction: pay, credit, contact, feedback, staff forms),
// and times shown in the visitor's own zone with a live countdown. Plain JavaScript, no build step.
"use strict";

const csrf = document.querySelector('meta[name="csrf"]').content;

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST", headers: {"Content-Type": "application/json", "Accept": "application/json"},
    body: JSON.stringify({...body, csrf}), credentials: "same-origin",
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error || `the server answered ${response.status}`);
  return answer;
}

function wallet() {
  if (!window.ethereum) throw new Error("no wallet found: install MetaMask, Rabby or Coinbase Wallet, then reload");
  return window.ethereum;
}

function say(text, failed = false, status = document.getElementById("status")) {
  status.textContent = text;
  status.classList.toggle("failed", failed);
}

function hexOf(text) {
  return "0x" + Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function signIn() {
  try {
    const [address] = await wallet().request({method: "eth_requestAccounts"});
    say("Sign the message in your wallet…");
    const {message} = await post("/api/signin/message", {address});
    const signature = await wallet().request({method: "personal_sign", params: [hexOf(message), address]});
    const {next} = await post("/api/signin", {signature});
    if (document.getElementById("signin").dataset.stay) window.location.reload();
    else window.location.assign(next);
  } catch (error) {
    say(error.message, true);
  }
}

async function signReturn(button) {
  button.disabled = true;
  try {
    const lines = button.dataset.lines.split(",").map(Number);
    const {typed_data} = await post("/api/returns/prepare",
      {purchase_id: button.dataset.purchase, lines, shipment: button.dataset.shipment});
    const [address] = await wallet().request({method: "eth_requestAccounts"});
    say("Sign the return request in your wallet…");
    const signature = await wallet().request(
      {method: "eth_signTypedData_v4", params: [address, JSON.stringify(typed_data)]});
    say("Sending the return…");
    const refund = await post("/api/returns/submit", {typed_data, signature});
    say(`Refund arrived: ${refund.amount_words} paid to your address (transaction ${refund.tx_hash}).`);
    document.getElementById("status").dataset.tx = refund.tx_hash;
  } catch (error) {
    say(error.message, true);
    button.disabled = false;
  }
}

// A shop's names (profile, catalogue rows): the server checks and dates them, the wallet signs each batch as
// typed data (no transaction), and the server keeps what was signed as the signed-in staff member's.
async function signNames(form) {
  const status = form.querySelector(".status");
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const {typed_data} = await post(form.dataset.prepare, formFields(form));
    const [address] = await wallet().request({method: "eth_requestAccounts"});
    const kept = [];
    for (const [i, typed] of typed_data.entries()) {
      say(`Sign ${typed_data.length > 1 ? `batch ${i + 1} of ${typed_data.length}` : "the names"} in your wallet…`,
          false, status);
      const signature = await wallet().request(
        {method: "eth_signTypedData_v4", params: [address, JSON.stringify(typed)]});
      kept.push((await post(form.dataset.keep, {typed_data: typed, signature})).kept);
    }
    say(`${form.dataset.done}. ${kept.join(" ")} Reload to see them.`, false, status);
    status.dataset.kept = String(kept.length);
  } catch (error) {
    say(error.message, true, status);
  }
  button.disabled = false;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function landed(txHash) {
  for (let tries = 0; tries < 120; tries++) {
    const receipt = await wallet().request({method: "eth_getTransactionReceipt", params: [txHash]});
    if (receipt) return receipt;
    await sleep(1000);
  }
  throw new Error(`transaction ${txHash} has not landed after two minutes: check your wallet, then reload`);
}

// The form's fields as JSON: a field marked data-number goes as a number (the server takes no "7" for 7).
function formFields(form) {
  const fields = {};
  if (!form) return fields;
  for (const element of form.querySelectorAll("[name]")) {
    if (element.name === "csrf" || element.disabled) continue;
    const value = element.dataset.number !== undefined ? Number(element.value) : element.value;
    if (element.type === "checkbox" || element.type === "radio") {
      if (element.type === "checkbox" && element.dataset.list !== undefined) {
        fields[element.name] = fields[element.name] || [];
        if (element.checked) fields[element.name].push(value);
      } else if (element.checked) fields[element.name] = value;
    } else fields[element.name] = value;
  }
  return fields;
}

// A button with data-prepare: the server prepares (and tries) the transaction, the wallet sends it, and the
// server reads the receipt back. A refusal, before or after the wallet, is shown in words. When the server
// first asks for a token approval, the wallet sends that, and the server is asked again for the real thing.
async function sendFromWallet(button) {
  const box = button.closest(".wallet-form");
  const status = box?.querySelector(".status") || document.getElementById("status");
  button.disabled = true;
  try {
    const body = {...JSON.parse(button.dataset.body || "{}"), ...formFields(box)};
    let {transaction, consequence, approval} = await post(button.dataset.prepare, body);
    while (approval) {
      say("Let the ledger take the token: confirm the approval in your wallet…", false, status);
      const approved = await landed(await wallet().request({method: "eth_sendTransaction", params: [transaction]}));
      if (Number(approved.status) !== 1) throw new Error("the token refused the approval: nothing was paid");
      ({transaction, consequence, approval} = await post(button.dataset.prepare, body));
    }
    if (consequence && button.dataset.armed !== JSON.stringify(body)) {
      // First press: show what will happen; a second press (with the form unchanged) sends it.
      box.querySelector(".consequence").textContent = consequence;
      button.dataset.label = button.dataset.label || button.textContent;
      button.textContent = "Confirm: send from my wallet";
      button.dataset.armed = JSON.stringify(body);
      say("", false, status);
      button.disabled = false;
      return;
    }
    say("Confirm the transaction in your wallet…", false, status);
    const txHash = await wallet().request({method: "eth_sendTransaction", params: [transaction]});
    say("Waiting for the transaction to land…", false, status);
    await landed(txHash);
    await post("/api/wallet/outcome", {tx_hash: txHash});
    say(`${button.dataset.done} (transaction ${txHash}).`, false, status);
    if (button.dataset.label) button.textContent = button.dataset.label;
    delete button.dataset.armed;
    status.dataset.tx = txHash;
  } catch (error) {
    say(error.message, true, status);
    button.disabled = false;
  }
}

// Every <time class="local-time" datetime="…Z"> the server wrote in UTC, in the visitor's own zone (the UTC words
// stay for a browser without JavaScript; the title keeps them).
function showLocalTimes() {
  for (const element of document.querySelectorAll("time.local-time[datetime]")) {
    const when = new Date(element.dateTime);
    if (Number.isNaN(when.getTime())) continue;
    element.title = element.textContent;
    element.textContent = when.toLocaleString(undefined, {
      year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"});
  }
}

function countdowns() {
  // Chain time may differ from this computer's clock (a test chain moves it): count from the page's chain time.
  const loadedAt = Date.now() / 1000;
  const tick = () => {
    for (const element of document.querySelectorAll(".deadline")) {
      const left = Number(element.dataset.deadline) - (Number(element.dataset.now) + Date.now() / 1000 - loadedAt);
      if (left <= 0) { element.textContent = "closed"; continue; }
      const d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60);
      element.textContent = `closes in ${d} d ${h} h ${m} min`;
    }
  };
  tick();
  setInterval(tick, 30000);
}

document.getElementById("signin")?.addEventListener("click", signIn);
const returnButton = document.getElementById("sign-return");
returnButton?.addEventListener("click", () => signReturn(returnButton));
for (const button of document.querySelectorAll("button.wallet-send")) {
  button.addEventListener("click", (event) => { event.preventDefault(); sendFromWallet(button); });
}
for (const form of document.querySelectorAll("form.sign-names")) {
  form.addEventListener("submit", (event) => { event.preventDefault(); signNames(form); });
}
showLocalTimes();
countdowns();

document.getElementById("print")?.addEventListener("click", () => window.print());

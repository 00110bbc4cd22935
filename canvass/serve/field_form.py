"""The field form of a team page: counts per step, kept on the phone while offline, sent once when online.

:func:`field_form` returns an HTML snippet (a ``<section>`` and its script)
that :func:`canvass.outputs.export.export_bundle` puts into each team page.
Volunteers pick a step (a block of a street, a building), type the doors
knocked and opened and the outcome counts, and tap *Enregistrer*. The entry gets
a random id on the phone and waits in ``localStorage`` until the field API
(:mod:`canvass.serve.app`, ``POST <api>``) accepts it; a resend of the same id
is counted once by the store. Counts only: the form has no field for a name.
"""

from __future__ import annotations

import json

from canvass.campaign.field_csv import OUTCOMES
from canvass.outputs._common import escape

OUTCOME_LABELS = {"soutien": "Soutiens", "indecis": "Indécis", "opposant": "Opposants", "absent": "Absents", "refus": "Refus"}
"""French labels of the outcome counts, in :data:`canvass.campaign.field_csv.OUTCOMES` order."""

RETRY_SECONDS = 30
"""How often the page retries sending while entries wait (also on the browser's ``online`` event)."""


def field_form(token: str, steps: list[dict], *, api: str) -> str:
    """The form section and its script for one team page.

    Parameters
    ----------
    token
        The team's token; the only one the page names (its storage key).
    steps
        The team's steps in walking order: ``{"unit": planning unit id, "order": n, "label": text}``.
    api
        Where entries are posted: this team's field API URL, absolute or relative to the page
        (``api/terrain/<token>`` when the page is served by ``canvass serve``).
    """
    options = "".join(f'<option value="{int(step["unit"])}">{int(step["order"])}. {escape(step["label"])}</option>' for step in steps)
    counts = "".join(
        f'<label>{label}<input type="number" inputmode="numeric" min="0" step="1" value="0" name="{name}"></label>'
        for name, label in (("knocked", "Portes frappées"), ("opened", "Portes ouvertes"), *((o, OUTCOME_LABELS[o]) for o in OUTCOMES))
    )
    data = {"token": token, "api": api, "outcomes": list(OUTCOMES), "retry": RETRY_SECONDS * 1000,
            "orders": {str(int(step["order"])): int(step["unit"]) for step in steps}}
    return f"""<section id="canvass-terrain" class="canvass-terrain" aria-label="Relevé de terrain">
<h2>Relevé de terrain</h2>
<form id="canvass-terrain-form" novalidate>
<label class="wide">Étape<select name="unit">{options}</select></label>
{counts}
<button type="submit">Enregistrer</button>
</form>
<p id="canvass-terrain-status" role="status" aria-live="polite"></p>
<p class="canvass-note">Des chiffres seulement, jamais de nom. Sans réseau, les relevés restent sur le téléphone et partent dès que la connexion revient.</p>
</section>
<style>
.canvass-terrain {{ margin: 8px 12px 16px; padding-top: 8px; border-top: 1px solid #ccc; font-size: .95rem; }}
.canvass-terrain h2 {{ font-size: 1rem; margin: 4px 0 8px; }}
.canvass-terrain form {{ display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 6px 10px; }}
.canvass-terrain label {{ display: flex; flex-direction: column; font-size: .85rem; color: #333; }}
.canvass-terrain label.wide, .canvass-terrain button {{ grid-column: 1 / -1; }}
.canvass-terrain input, .canvass-terrain select {{ font-size: 1rem; padding: 6px; min-height: 40px; width: 100%; min-width: 0; box-sizing: border-box; }}
.canvass-terrain button {{ width: 100%; font-size: 1rem; padding: 10px; min-height: 44px; background: #1f5fbf; color: #fff; border: 0; border-radius: 6px; }}
#canvass-terrain-status {{ margin: 8px 0 0; font-weight: 600; }}
</style>
<script type="application/json" id="canvass-terrain-data">{_script_json(data)}</script>
<script>{_SCRIPT}</script>
"""


def _script_json(value) -> str:
    """JSON that cannot close its ``<script>`` element nor open an HTML comment."""
    text = json.dumps(value, ensure_ascii=False)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return text


_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("canvass-terrain-data").textContent);
  var KEY = "canvass-terrain-" + data.token;
  var section = document.getElementById("canvass-terrain");
  var form = document.getElementById("canvass-terrain-form");
  var status = document.getElementById("canvass-terrain-status");
  var panel = document.getElementById("canvass-panel");
  if (panel) { panel.appendChild(section); }
  var sending = false, lastError = "";

  function load() {
    try {
      var state = JSON.parse(localStorage.getItem(KEY) || "null");
      if (state && Array.isArray(state.queue)) { return state; }
    } catch (e) { /* unreadable: start afresh */ }
    return {queue: [], sent: 0};
  }
  function keep(state) { localStorage.setItem(KEY, JSON.stringify(state)); }
  function newId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function show() {
    var state = load(), waiting = state.queue.length;
    var text = waiting ? waiting + " relevé" + (waiting > 1 ? "s" : "") + " en attente d’envoi (gardé" + (waiting > 1 ? "s" : "") + " sur le téléphone)."
                       : (state.sent ? state.sent + " relevé" + (state.sent > 1 ? "s" : "") + " envoyé" + (state.sent > 1 ? "s" : "") + "." : "");
    status.textContent = lastError ? lastError + " " + text : text;
  }
  function flush() {
    var state = load();
    if (sending || !state.queue.length) { show(); return Promise.resolve(); }
    if (navigator.onLine === false) { show(); return Promise.resolve(); }
    sending = true;
    var batch = state.queue.slice(0, 100);
    return fetch(data.api, {method: "POST", headers: {"Content-Type": "application/json"}, cache: "no-store",
                            body: JSON.stringify({entries: batch})})
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status === 404 ? "Lien inconnu : demandez le bon lien à l’organisation." : "Envoi refusé (" + response.status + ")."); }
        return response.json();
      })
      .then(function (reply) {
        var done = {}, fresh = load();
        (reply.accepted || []).forEach(function (id) { done[id] = true; });
        var refused = (reply.rejected || []);
        refused.forEach(function (item) { done[item.id] = true; });
        fresh.sent = (fresh.sent || 0) + (reply.accepted || []).length;
        fresh.queue = fresh.queue.filter(function (entry) { return !done[entry.id]; });
        keep(fresh);
        lastError = refused.length ? "Relevé refusé : " + refused[0].error : "";
      })
      .catch(function (error) {
        lastError = error && error.message && error.message.indexOf("Lien") === 0 ? error.message : "Pas de connexion : nouvel essai bientôt.";
      })
      .then(function () { sending = false; show(); if (!lastError && load().queue.length) { return flush(); } });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var entry = {id: newId(), unit: Number(form.elements.unit.value), outcomes: {}};
    var numbers = ["knocked", "opened"].concat(data.outcomes), bad = false;
    numbers.forEach(function (name) {
      var value = Number(form.elements[name].value || 0);
      if (!Number.isInteger(value) || value < 0) { bad = true; }
      if (name === "knocked" || name === "opened") { entry[name] = value; } else if (value) { entry.outcomes[name] = value; }
    });
    if (bad || entry.opened > entry.knocked) {
      lastError = bad ? "Des nombres entiers, 0 ou plus." : "Plus de portes ouvertes que frappées : corrigez.";
      show();
      return;
    }
    var state = load();
    state.queue.push(entry);
    keep(state);
    lastError = "";
    numbers.forEach(function (name) { form.elements[name].value = 0; });
    flush();
  });
  var list = document.getElementById("canvass-list");
  if (list) {
    list.addEventListener("click", function (event) {
      var row = event.target.closest("li[data-order]");
      if (row && data.orders[row.dataset.order] !== undefined) { form.elements.unit.value = String(data.orders[row.dataset.order]); }
    });
  }
  window.addEventListener("online", flush);
  setInterval(flush, data.retry);
  window.canvassTerrain = {flush: flush, waiting: function () { return load().queue.length; }};
  flush();
})();
"""

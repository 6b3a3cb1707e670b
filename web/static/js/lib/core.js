// What every page script shares: the JSON API with its CSRF token and errors, the page's
// texts, one way to write durations, numbers and percentages, small DOM helpers, and the
// live WebSocket (reconnecting with exponential backoff). ES module, no build step.
//
// Phone numbers are formatted on the server (web/formatting.py: the centre's region in
// national format, others international) and arrive as `*_display` fields.

export const lang = document.documentElement.lang || "en";

export const $ = (id) => document.getElementById(id);

export function show(node, on) {
  if (node) node.hidden = !on;
}

/** The JSON a page embeds in <script type="application/json" id="…">. */
export function readJSON(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : {};
}

/** t(key, {name: value}) over a table of translated texts with %(name)s placeholders. */
export function translator(texts) {
  return (key, params) => {
    let text = texts[key] ?? key;
    for (const [name, value] of Object.entries(params || {})) {
      text = text.split(`%(${name})s`).join(String(value));
    }
    return text;
  };
}

const pluralRules = new Intl.PluralRules(lang);

/** The label over a count in the right form: forms = [singular, plural] from the server. */
export function plural(forms, n) {
  if (!Array.isArray(forms)) return forms;
  return pluralRules.select(n) === "one" ? forms[0] : forms[1];
}

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

export class ApiFailure extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "";
    this.fields = error.fields || {};
  }
}

/** One JSON API call; a non-2xx answer throws an ApiFailure with the server's error. */
export async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (method !== "GET") init.headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiFailure(0, { error: { code: "network", message: String(err) } });
  }
  const data = (response.headers.get("Content-Type") || "").includes("json")
    ? await response.json().catch(() => null) : null;
  if (!response.ok) throw new ApiFailure(response.status, data);
  return data;
}

// -- formatting: the same rules as web/formatting.py -----------------------------------------

const numberFormats = new Map();
function numberFormat(digits) {
  if (!numberFormats.has(digits)) {
    numberFormats.set(digits, new Intl.NumberFormat(lang, {
      minimumFractionDigits: digits, maximumFractionDigits: digits }));
  }
  return numberFormats.get(digits);
}
const percentFormat = new Intl.NumberFormat(lang, {
  style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });

export const fmt = {
  /** m:ss under an hour, h:mm:ss from an hour on; "–" when there is nothing. */
  duration(seconds) {
    if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
    const whole = Math.max(0, Math.round(seconds));
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    const s = String(whole % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  },
  number(value, digits = 0) {
    if (value === null || value === undefined || !Number.isFinite(value)) return "–";
    return numberFormat(digits).format(value);
  },
  /** value in percent (0–100), one decimal, as the page's language writes it. */
  percent(value) {
    if (value === null || value === undefined || !Number.isFinite(value)) return "–";
    return percentFormat.format(value / 100);
  },
  /** A phone number as the server formatted it, else as it came. */
  phone(number, display) {
    return display || number || "";
  },
  /** A timestamp in the call centre's time zone (not the PC's). */
  dateTime(iso, timeZone) {
    return new Date(iso).toLocaleString(lang, {
      timeZone: timeZone || undefined, dateStyle: "short", timeStyle: "short" });
  },
};

// -- DOM ------------------------------------------------------------------------------------

/** el("button", {class: "btn", onclick: fn, text: "OK", "data-x": 1}, child…) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "text") {
      node.textContent = value;
    } else if (key === "class") {
      node.className = value;
    } else if (key in node && typeof value !== "string") {
      node[key] = value;  // properties such as disabled, selected, value
    } else {
      node.setAttribute(key, value === true ? "" : value);
    }
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

/** Calls handlers[type](data) when there is one; says whether there was. */
export function dispatch(handlers, type, data) {
  const handler = handlers[type];
  if (!handler) return false;
  handler(data);
  return true;
}

// -- live events ----------------------------------------------------------------------------

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30000;

/**
 * /ws/live, reconnecting after a drop with exponential backoff (0.5 s, 1 s, 2 s… up to
 * 30 s, each with ±20 % jitter so a restarted server is not hit by every page at once);
 * the delay goes back to 0.5 s once a connection has delivered a message.
 * onEvent(type, data) gets every message, the snapshot first; onState("open"|"closed").
 */
const SESSION_ENDED = 4401;  // web/live.py: the session or token no longer stands

export function live({ topics = "", onEvent, onState = () => {} }) {
  let delay = BACKOFF_FIRST_MS;
  let socket = null;
  let stopped = false;
  const url = () => {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    return `${proto}://${location.host}/ws/live${topics ? `?topics=${encodeURIComponent(topics)}` : ""}`;
  };
  function connect() {
    socket = new WebSocket(url());
    socket.addEventListener("open", () => onState("open"));
    socket.addEventListener("message", (message) => {
      // The backoff starts over once the server has sent something (its snapshot comes
      // first), not on open alone: a server that accepts and drops at once must not be
      // retried every 0.5 s.
      delay = BACKOFF_FIRST_MS;
      let event;
      try { event = JSON.parse(message.data); } catch { return; }
      try { onEvent(event.type, event.data || {}); } catch (err) { console.error(event.type, err); }
    });
    socket.addEventListener("close", (closing) => {
      onState("closed");
      if (stopped) return;
      if (closing.code === SESSION_ENDED) {  // logged out elsewhere, demoted, deactivated
        location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
        return;
      }
      const jitter = 0.8 + Math.random() * 0.4;
      setTimeout(connect, delay * jitter);
      delay = Math.min(delay * 2, BACKOFF_MAX_MS);
    });
  }
  connect();
  return { close() { stopped = true; socket?.close(); } };
}

/** fn() at most once per `ms`, the last call of a burst included (never postponed forever). */
export function throttle(fn, ms) {
  let timer = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => { timer = null; fn(); }, ms);
  };
}

// The delivery diagram's view. Python (chatlib/diagram/flow.py) decides what happened and
// which step is shown; this module only draws that step and sends button presses
// back as actions. Every text goes in through textContent, never as HTML.
// Stable hooks for tests: .dg-delivered[data-to], .dg-skipped[data-to][data-reason],
// .dg-pending[data-to], .dg-send[data-from], .dg-ack, .dg-timeout, svg[data-step-seq].

const NS = "http://www.w3.org/2000/svg";
const LEFT = 110, NODE_X = 180, NODE_W = 120, TARGET_X = 350, TARGET_W = 140, RIGHT = 640;
const TOP = 36, ROW = 30;

function svgEl(name, attrs = {}, text) {
  const el = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function arrow(parent, cls, x1, y1, x2, y2, data = {}) {
  const mid = (x1 + x2) / 2;
  const path = svgEl("path", {
    class: cls, d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`,
  });
  for (const [k, v] of Object.entries(data)) path.dataset[k] = v;
  parent.append(path);
  return path;
}

function drawStep(svg, state, step) {
  const clients = state.clients;
  const rows = Math.max(clients.length, state.nodes.length, 1);
  const height = Math.max(TOP + rows * ROW + 10, TOP + (clients.length * ROW) / 2 + 60);
  svg.setAttribute("viewBox", `0 0 790 ${height}`);
  svg.replaceChildren();
  const rowY = (name) => TOP + clients.indexOf(name) * ROW + ROW / 2;
  const midY = TOP + (clients.length * ROW) / 2;
  svg.append(svgEl("text", { x: LEFT - 10, y: 18, class: "dg-head", "text-anchor": "end" }, "senders"));
  svg.append(svgEl("text", { x: RIGHT + 10, y: 18, class: "dg-head" }, "receivers"));
  clients.forEach((name) => {
    svg.append(svgEl("text", { x: LEFT - 10, y: rowY(name) + 4, class: "dg-client dg-left",
      "text-anchor": "end", "data-name": name }, name));
    svg.append(svgEl("text", { x: RIGHT + 10, y: rowY(name) + 4, class: "dg-client dg-right",
      "data-name": name }, name));
  });
  const nodeY = {};
  state.nodes.forEach((node, i) => {
    const y = midY + (i - (state.nodes.length - 1) / 2) * (ROW + 6);
    nodeY[node] = y;
    const g = svgEl("g", { class: "dg-node", "data-node": node,
      "data-active": String(!!step && step.node === node) });
    g.append(svgEl("rect", { x: NODE_X, y: y - 12, width: NODE_W, height: 24, rx: 4 }));
    g.append(svgEl("text", { x: NODE_X + NODE_W / 2, y: y + 4, "text-anchor": "middle" }, node));
    svg.append(g);
  });
  if (!step) {
    svg.removeAttribute("data-step-seq");
    return;
  }
  svg.dataset.stepSeq = step.seq;
  svg.dataset.kind = step.kind;
  const ny = nodeY[step.node] ?? midY;
  const layer = svgEl("g", { class: "dg-step" });
  svg.append(layer);
  if (step.sender && clients.includes(step.sender)) {
    arrow(layer, "dg-arrow dg-send", LEFT, rowY(step.sender), NODE_X, ny, { from: step.sender });
  }
  if (step.kind === "send") {
    if (step.acks.length) arrow(layer, "dg-arrow dg-ack", NODE_X, ny + 6, LEFT, rowY(step.sender) + 6, { to: step.sender });
    if (step.timeouts.length) {
      layer.append(svgEl("text", { x: LEFT + 20, y: rowY(step.sender) - 6, class: "dg-timeout",
        "data-who": step.sender }, "✕ no ack: timed out"));
    }
    return;
  }
  const where = step.to.length ? step.to.join(", ") : "everyone";
  const target = svgEl("g", { class: "dg-target" });
  target.append(svgEl("rect", { x: TARGET_X, y: midY - 20, width: TARGET_W, height: 40, rx: 4 }));
  target.append(svgEl("text", { x: TARGET_X + TARGET_W / 2, y: midY - 4, "text-anchor": "middle" }, step.namespace));
  target.append(svgEl("text", { x: TARGET_X + TARGET_W / 2, y: midY + 12, "text-anchor": "middle",
    class: "dg-rooms" }, where.length > 22 ? where.slice(0, 21) + "…" : where));
  layer.append(target);
  arrow(layer, "dg-arrow dg-route", NODE_X + NODE_W, ny, TARGET_X, midY);
  const tx = TARGET_X + TARGET_W;
  for (const name of clients) {
    const y = rowY(name);
    if (step.received.includes(name)) {
      arrow(layer, "dg-arrow dg-delivered", tx, midY, RIGHT, y, { to: name });
    } else if (step.excluded.includes(name) || step.outside.includes(name)) {
      const reason = step.excluded.includes(name) ? "excluded" : "outside";
      arrow(layer, "dg-skipped", tx, midY, RIGHT - 84, y, { to: name, reason });
      layer.append(svgEl("text", { x: RIGHT - 80, y: y + 4, class: "dg-skip-mark",
        "data-to": name }, reason === "excluded" ? "✕ skip_sid" : "✕ not addressed"));
    } else if (step.targets.includes(name)) {
      arrow(layer, "dg-pending", tx, midY, RIGHT, y, { to: name });
    }
    if (step.acks.includes(name)) {
      const below = midY + 40;  // under the target box, so the way back stays readable
      const ack = svgEl("path", { class: "dg-arrow dg-ack", "data-from": name,
        d: `M${RIGHT},${y + 6} C${tx},${below} ${TARGET_X},${below} ${NODE_X + NODE_W},${ny + 8}` });
      layer.append(ack);
    }
    if (step.timeouts.includes(name)) {
      layer.append(svgEl("text", { x: RIGHT + 48, y: y + 4, class: "dg-timeout",
        "data-who": name }, "✕ timed out"));
    }
  }
}

function render({ model, el }) {
  el.classList.add("chatlib-diagram");
  const bar = document.createElement("div");
  bar.className = "dg-bar";
  const button = (label, title, action, extra = {}) => {
    const b = document.createElement("button");
    b.textContent = label;
    b.title = title;
    b.className = `dg-btn dg-${action}`;
    b.addEventListener("click", () => model.send({ action, ...extra }));
    bar.append(b);
    return b;
  };
  const pause = button("pause", "freeze the view, or follow live again", "toggle");
  button("◀", "previous step", "step", { delta: -1 });
  button("▶", "next step", "step", { delta: 1 });
  button("⟲ replay", "show the last steps again", "replay");
  const caption = document.createElement("div");
  caption.className = "dg-caption";
  const svg = svgEl("svg", { class: "dg-svg", width: "100%" });
  const list = document.createElement("ol");
  list.className = "dg-list";
  el.append(bar, caption, svg, list);

  const draw = () => {
    const state = model.get("state") || {};
    const steps = state.steps || [];
    const step = steps[state.shown];
    pause.textContent = state.paused ? "live" : "pause";
    el.dataset.paused = String(!!state.paused);
    caption.textContent = step
      ? `step ${state.shown + 1} of ${steps.length}: ${step.summary}` +
        (state.waiting ? ` (${state.waiting} new while paused)` : "")
      : "no message yet";
    drawStep(svg, { clients: state.clients || [], nodes: state.nodes || [] }, step);
    list.replaceChildren(...steps.map((s, i) => {
      const li = document.createElement("li");
      li.textContent = s.summary;
      li.className = i === state.shown ? "dg-item dg-current" : "dg-item";
      li.addEventListener("click", () => model.send({ action: "show", index: i }));
      return li;
    }));
  };
  model.on("change:state", draw);
  draw();
  return () => model.off("change:state", draw);
}

export default { render };

// The page's behaviour (served as /assets/page.js): it calls the server's
// /api/ routes and draws their answers.
"use strict";
const $ = (id) => document.getElementById(id);
let problems = [];

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
}

function show(report) {
  const status = $("status");
  status.className = "";
  if (report.folder) {
    // Two campaigns open in two tabs are told apart by their folders.
    document.title = "走访 · " + report.folder;
    $("where").textContent = "工作文件夹「" + report.folder + "」";
  }
  showBackups(report.backups);
  $("init").hidden = report.roster !== null;
  $("download").hidden = report.roster === null;
  if (report.roster === null) {
    status.textContent = "工作文件夹里还没有名单（名单.xlsx）。把名单拖进来，或新建一份空白名单。";
    $("plan-section").hidden = true;
    $("problems-section").hidden = true;
    return;
  }
  $("download").href = "/files/" + encodeURIComponent(report.roster);
  $("download").textContent = "下载现在用的名单（" + report.roster + "）";
  problems = report.problems || [];
  if (!report.readable) {
    status.className = "bad";
    status.textContent = "名单「" + report.roster + "」读不出来，原因见下表。";
    $("plan-section").hidden = true;
  } else {
    const r = report.rows;
    status.className = report.faults > 0 ? "bad" : "";
    status.textContent = "名单共 " + r.read + " 行数据，读入 " + r.used + " 行；" +
      (report.faults > 0 ? "有 " + report.faults + " 处错误，改正后才能打印" : "可以打印") +
      "（" + report.warnings + " 处提醒）。";
    const body = $("plan").tBodies[0];
    body.replaceChildren();
    for (const d of report.departments.concat([report.total])) {
      const tr = document.createElement("tr");
      if (d === report.total) tr.className = "total";
      cell(tr, d.name);
      for (const k of ["villages", "cadres", "household_forms", "cards", "pages"]) cell(tr, d[k], "n");
      body.appendChild(tr);
    }
    $("plan-section").hidden = false;
  }
  $("problems-section").hidden = problems.length === 0;
  renderProblems();
  if (report.readable && report.faults === 0) loadPreviews(); else $("previews-box").hidden = true;
}

// The forms as they will print, typeset from this roster (same as zoufang preview).
async function loadPreviews() {
  const box = $("previews");
  $("previews-box").hidden = false;
  $("previews-status").textContent = "正在按名单排表样……";
  box.replaceChildren();
  try {
    const r = await call("POST", "/api/previews");
    const stamp = Date.now();
    for (const f of r.files) {
      const figure = document.createElement("figure");
      const link = document.createElement("a");
      link.href = fileUrl(f.path) + "?v=" + stamp;
      link.target = "_blank";
      const img = document.createElement("img");
      img.src = link.href;
      img.alt = f.name;
      if (f.name.includes("联系卡")) img.className = "card";
      link.appendChild(img);
      figure.appendChild(link);
      const caption = document.createElement("figcaption");
      caption.textContent = f.name;
      figure.appendChild(caption);
      box.appendChild(figure);
    }
    $("previews-status").textContent = "点图可以放大看。各单位、各干部的材料只是所属地、姓名、编号等不同。";
  } catch (e) {
    $("previews-status").textContent = e.message;
  }
}

function renderProblems() {
  const words = $("filter").value.trim();
  const onlyFaults = $("only-faults").checked;
  const body = $("problems").tBodies[0];
  const rows = [];
  let shown = 0;
  for (const p of problems) {
    if (onlyFaults && p.severity !== "错误") continue;
    if (words && ![p.sheet, p.value, p.message, p.hint, p.column].some((t) => t && String(t).includes(words))) continue;
    shown += 1;
    if (rows.length >= 2000) continue;
    const tr = document.createElement("tr");
    if (p.severity === "错误") tr.className = "fault";
    for (const t of [p.severity, p.sheet, p.row, p.column, p.value, p.message, p.hint]) cell(tr, t);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
  $("count").textContent = "共 " + problems.length + " 条，显示 " + Math.min(shown, 2000) + " 条" +
    (shown > 2000 ? "（其余请用筛选缩小范围）" : "");
}

async function call(method, url, body) {
  const response = await fetch(url, { method, body, credentials: "same-origin" });
  const text = await response.text();
  let data = null;
  try { data = JSON.parse(text); } catch (e) { data = { message: text }; }
  if (!response.ok) {
    const error = new Error(data.message || data.ask || text || response.statusText);
    error.data = data;
    throw error;
  }
  return data;
}

async function upload(file) {
  $("status").className = "";
  $("status").textContent = "正在检查「" + file.name + "」……";
  const url = "/api/roster?name=" + encodeURIComponent(file.name);
  try {
    show(await call("POST", url, file));
  } catch (e) {
    // A roster in use is replaced only when the clerk says so.
    if (e.data && e.data.ask) {
      if (confirm(e.data.ask)) {
        try { show(await call("POST", url + "&replace=1", file)); return; } catch (again) { e = again; }
      } else {
        $("status").className = "";
        $("status").textContent = "没有换名单，还用原来的。";
        return;
      }
    }
    $("status").className = "bad";
    $("status").textContent = e.message;
  }
}

function showBackups(names) {
  const list = $("backups");
  list.replaceChildren();
  for (const name of names || []) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = fileUrl("名单备份/" + name);
    a.textContent = name;
    li.appendChild(a);
    const b = document.createElement("button");
    b.textContent = "换回这一份";
    b.addEventListener("click", async () => {
      if (!confirm("换回「" + name + "」吗？现在用的名单也会留一份备份。")) return;
      try { show(await call("POST", "/api/roster/restore?name=" + encodeURIComponent(name))); }
      catch (e) { $("status").className = "bad"; $("status").textContent = e.message; }
    });
    li.append(" ", b);
    list.appendChild(li);
  }
  $("backups-box").hidden = list.children.length === 0;
}

$("drop").addEventListener("click", () => $("file").click());
$("drop").addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") $("file").click(); });
$("file").addEventListener("change", () => { if ($("file").files[0]) upload($("file").files[0]); $("file").value = ""; });
$("drop").addEventListener("dragover", (e) => { e.preventDefault(); $("drop").classList.add("over"); });
$("drop").addEventListener("dragleave", () => $("drop").classList.remove("over"));
$("drop").addEventListener("drop", (e) => {
  e.preventDefault();
  $("drop").classList.remove("over");
  if (e.dataTransfer.files[0]) upload(e.dataTransfer.files[0]);
});
$("init").addEventListener("click", async () => {
  try { show(await call("POST", "/api/init")); } catch (e) { $("status").className = "bad"; $("status").textContent = e.message; }
});
function showKits(k) {
  const status = $("kits-status");
  const bar = $("kits-progress");
  status.className = "";
  if (k.state === "idle") { status.textContent = ""; bar.hidden = true; return; }
  bar.hidden = false;
  bar.max = Math.max(k.total || 1, 1);
  bar.value = k.done || 0;
  if (k.state === "running") {
    status.textContent = "正在生成：" + k.done + " / " + k.total + " 个打印文件，" + k.pages + " 页……";
    setTimeout(() => call("GET", "/api/kits").then(showKits), 500);
    return;
  }
  if (k.state === "failed") {
    status.className = "bad";
    status.textContent = "材料没有全部生成：" + k.problems.map((p) => p.message + "（" + p.hint + "）").join("；");
    return;
  }
  bar.hidden = Boolean(k.earlier);
  const pdfs = k.files.filter((f) => f.path.toLowerCase().endsWith(".pdf")).length;
  const books = k.files.length - pdfs;
  const made = pdfs + " 个打印文件（共 " + k.pages + " 页）" + (books ? "，另有 " + books + " 份录入表（给各单位填，不用印）" : "");
  status.textContent = (k.earlier
    ? "「打印材料」里有上次生成的 " + made + "（名单改过的话，请重新生成）。"
    : "已生成 " + made + "。") +
    "点单位名展开文件；打包下载的只有要印的文件，给印刷厂。";
  const groups = new Map();
  for (const f of k.files) {
    const key = f.folder || "（全部单位）";
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(f);
  }
  const box = $("kits-files");
  box.replaceChildren();
  const all = document.createElement("p");
  const everything = document.createElement("a");
  everything.href = "/api/zip?folder=";
  everything.download = "打印材料.zip";
  everything.textContent = "全部单位打包下载（给印刷厂）";
  all.appendChild(everything);
  box.appendChild(all);
  for (const [folder, files] of groups) {
    // One line per department, its files folded away: a city's thousands
    // of files do not bury the next steps.
    const details = document.createElement("details");
    const h = document.createElement("summary");
    h.textContent = folder + "（" + files.length + " 个文件，" + files.reduce((a, f) => a + f.pages, 0) + " 页）";
    if (folder !== "（全部单位）") {
      const zip = document.createElement("a");
      zip.href = "/api/zip?folder=" + encodeURIComponent(folder);
      zip.className = "zip";
      zip.download = folder + ".zip";
      zip.textContent = "打包下载（给印刷厂）";
      h.appendChild(zip);
    }
    details.appendChild(h);
    box.appendChild(details);
    const table = document.createElement("table");
    table.className = "files";
    const body = document.createElement("tbody");
    for (const f of files) {
      const tr = document.createElement("tr");
      const td = document.createElement("td");
      const a = document.createElement("a");
      a.href = "/files/" + f.path.split("/").map(encodeURIComponent).join("/");
      a.target = "_blank";
      a.textContent = f.name;
      td.appendChild(a);
      tr.appendChild(td);
      cell(tr, f.pages ? f.pages + " 页" : "", "n");
      body.appendChild(tr);
    }
    table.appendChild(body);
    details.appendChild(table);
  }
}

$("kits").addEventListener("click", async () => {
  $("kits-status").className = "";
  $("kits-status").textContent = "正在准备……";
  try { showKits(await call("POST", "/api/kits")); } catch (e) { $("kits-status").className = "bad"; $("kits-status").textContent = e.message; }
});
call("GET", "/api/kits").then(showKits).catch(() => {});
function problemTable(list) {
  const table = document.createElement("table");
  table.className = "faults";
  const head = document.createElement("tr");
  for (const t of ["类别", "工作表", "行", "列", "填的内容", "问题", "怎么改"]) {
    const th = document.createElement("th");
    th.textContent = t;
    head.appendChild(th);
  }
  table.appendChild(head);
  for (const p of list) {
    const tr = document.createElement("tr");
    if (p.severity === "错误") tr.className = "fault";
    for (const t of [p.severity, p.sheet, p.row, p.column, p.value, p.message, p.hint]) cell(tr, t);
    table.appendChild(tr);
  }
  return table;
}

function showImport(name, r) {
  const box = document.createElement("div");
  const h = document.createElement("h3");
  const a = (x) => "读入 " + x.read + " 行：计入 " + x.counted + "、重复（只计一次）" + x.duplicates + "、退回 " + x.rejected + "、空白 " + x.blank;
  h.textContent = name + "（收到 " + r.received + "）";
  box.appendChild(h);
  const p = document.createElement("p");
  p.textContent = "入户调查 " + a(r.households) + "；问题清单 " + a(r.problems) + "。";
  box.appendChild(p);
  if (!r.import) {
    const no = document.createElement("p");
    no.className = "bad";
    no.textContent = "这个文件没有记入台账（原因见下表）：请确认拖入的是填好的录入表，改正后重新拖入即可。";
    box.appendChild(no);
  }
  const all = r.rejected.concat(r.conflicts, r.notes);
  if (all.length > 0) box.appendChild(problemTable(all));
  if (r.import && all.some((g) => g.count > 1)) {
    const more = document.createElement("p");
    const a = document.createElement("a");
    a.href = "/api/ledger/faults?import=" + r.import.id;
    a.textContent = "下载全部说明（每行一条）";
    more.append("相同的说明合成了一行。", a);
    box.appendChild(more);
  }
  $("imports").prepend(box);
}

// The ledger as it stands: every import, newest first, each can be withdrawn.
async function loadLedger() {
  let listed;
  try { listed = await call("GET", "/api/ledger"); }
  catch (e) { $("ledger-status").className = "bad"; $("ledger-status").textContent = e.message; return; }
  const body = $("ledger-table").tBodies[0];
  body.replaceChildren();
  $("ledger-status").className = "muted";
  $("ledger-status").textContent = listed.imports.length === 0
    ? "台账里还没有导入过录入表。"
    : "共 " + listed.imports.length + " 次导入。收到日期填错了的，撤回后改正收到日期再导入同一个文件。";
  for (const i of listed.imports) {
    const tr = document.createElement("tr");
    cell(tr, i.id, "n");
    cell(tr, i.received);
    cell(tr, i.departments.join("、"));
    for (const k of ["households", "problems"]) cell(tr, i[k], "n");
    // Rows were not kept by a ledger from before they were.
    for (const k of ["counted", "duplicated", "refused"]) cell(tr, i.imported ? i[k] : "—", "n");
    cell(tr, i.file);
    cell(tr, i.withdrawn ? i.withdrawn + " 撤回" : "计入汇总", i.withdrawn ? "withdrawn" : "");
    const actions = document.createElement("td");
    if (i.faults > 0) {
      const a = document.createElement("a");
      a.href = "/api/ledger/faults?import=" + i.id;
      a.textContent = "说明清单";
      actions.appendChild(a);
    }
    if (!i.withdrawn) {
      const b = document.createElement("button");
      b.textContent = "撤回";
      b.addEventListener("click", () => withdraw(i, listed.today));
      actions.append(" ", b);
    }
    tr.appendChild(actions);
    body.appendChild(tr);
  }
  $("ledger-table").hidden = listed.imports.length === 0;
}

async function withdraw(i, today) {
  if (!confirm("撤回第 " + i.id + " 次导入（「" + i.file + "」，收到日期 " + i.received + "）吗？\n从今天（" + today +
    "）起的汇总不再计入它，以前某天的汇总照旧；撤回后可以改正收到日期，再导入同一个文件。")) return;
  try { await call("POST", "/api/ledger/withdraw?import=" + i.id); }
  catch (e) { $("ledger-status").className = "bad"; $("ledger-status").textContent = e.message; return; }
  await loadLedger();
}

async function importReturns(files) {
  localStorage.setItem(storeKey("received"), $("received").value);
  for (const file of files) {
    const url = "/api/returns?name=" + encodeURIComponent(file.name) + "&received=" + encodeURIComponent($("received").value);
    try { showImport(file.name, await call("POST", url, file)); }
    catch (e) {
      const p = document.createElement("p");
      p.className = "bad";
      p.textContent = file.name + "：" + e.message;
      $("imports").prepend(p);
    }
  }
  await loadLedger();
}

$("drop-returns").addEventListener("click", () => $("returns-file").click());
$("returns-file").addEventListener("change", () => { importReturns([...$("returns-file").files]); $("returns-file").value = ""; });
$("drop-returns").addEventListener("dragover", (e) => { e.preventDefault(); $("drop-returns").classList.add("over"); });
$("drop-returns").addEventListener("dragleave", () => $("drop-returns").classList.remove("over"));
$("drop-returns").addEventListener("drop", (e) => {
  e.preventDefault();
  $("drop-returns").classList.remove("over");
  importReturns([...e.dataTransfer.files]);
});
function fileUrl(path) {
  return "/files/" + path.split("/").map(encodeURIComponent).join("/");
}

function showReport(r) {
  $("report-status").className = "";
  $("report-status").textContent = r.from + " 至 " + r.to + "，数据截至 " + r.as_of + "。";
  // The brief's own table: every department of the roster, zeros for one
  // that sent nothing, then 合计.
  const body = $("weekly").tBodies[0];
  body.replaceChildren();
  for (const line of r.table.departments.concat([r.table.total])) {
    const tr = document.createElement("tr");
    if (line === r.table.total) tr.className = "total";
    cell(tr, line.name);
    for (const k of ["cadres", "households", "problems", "solved"]) cell(tr, line.period[k], "n");
    for (const k of ["cadres", "households", "problems", "solved"]) cell(tr, line.cumulative[k], "n");
    body.appendChild(tr);
  }
  const c = r.completeness;
  $("completeness").textContent = c ? "交表情况：名单上 " + c.expected + " 个单位，本期交了 " + c.reported.length + " 个" +
    (c.missing.length ? "；还没有交：" + c.missing.join("、") : "，全部交齐") + "。" : "没有名单，无法列出交表情况。";
  // Household forms back on paper (三、扫描件), beside the typed figures.
  $("paper-back").textContent = r.paper ? "纸质入户调查表扫描交回（交回/印发，截至 " + r.as_of + "）：" +
    r.paper.map((p) => p.department + " " + p.returned + "/" + p.printed + " 张（已填 " + p.filled + "）").join("、") + "。" : "";
  const charts = $("charts");
  charts.replaceChildren();
  const downloads = $("downloads");
  downloads.replaceChildren();
  const routes = new Map();
  for (const f of r.files) {
    const route = f.path.split("/")[1];
    if (f.path.split("/").length > 2 && route.startsWith("报市")) {
      routes.set(route, (routes.get(route) || 0) + 1);
      continue;
    }
    if (f.path.endsWith(".svg")) {
      const img = document.createElement("img");
      img.src = fileUrl(f.path);
      img.alt = f.path.split("/").pop();
      charts.appendChild(img);
    } else {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = fileUrl(f.path);
      a.target = "_blank";
      a.textContent = f.path.split("/").slice(1).join("/") + (f.pages ? "（" + f.pages + " 页）" : "");
      li.appendChild(a);
      downloads.appendChild(li);
    }
  }
  // The annex 5 of each village (市委农工办) or community (市民政局), one zip per route.
  const folder = r.files.length ? r.files[0].path.split("/")[0] : "";
  for (const [route, count] of routes) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = "/api/zip?report=" + encodeURIComponent(folder + "/" + route);
    a.download = route + ".zip";
    a.textContent = route + "：每个村（社区）一份附件5，连同问题清单（" + count + " 个文件，打包下载）";
    li.appendChild(a);
    downloads.appendChild(li);
  }
  $("report-body").hidden = false;
}

// What the clerk chose survives a reload, per campaign (port).
function storeKey(name) { return "zoufang:" + location.port + ":" + name; }

async function report() {
  if (!$("week").value) { $("report-status").className = "bad"; $("report-status").textContent = "请先选一个日期。"; return; }
  localStorage.setItem(storeKey("week"), $("week").value);
  $("report-status").className = "";
  $("report-status").textContent = "正在汇总……";
  try { showReport(await call("POST", "/api/report?week=" + encodeURIComponent($("week").value))); }
  catch (e) { $("report-status").className = "bad"; $("report-status").textContent = e.message; }
}
$("report").addEventListener("click", report);
// Typing in the filter redraws once the clerk pauses (ten thousand faults
// are searched, two thousand rows drawn: not on every key).
let filterTimer = 0;
$("filter").addEventListener("input", () => { clearTimeout(filterTimer); filterTimer = setTimeout(renderProblems, 120); });
$("only-faults").addEventListener("change", renderProblems);
call("GET", "/api/roster").then(show).catch((e) => { $("status").className = "bad"; $("status").textContent = e.message; });
loadLedger();
$("received").value = localStorage.getItem(storeKey("received")) || "";
if (localStorage.getItem(storeKey("week"))) {
  $("week").value = localStorage.getItem(storeKey("week"));
  report();
}

// 三、扫描件: the scanner's files kept in the folder, read together; what
// the last reading found is kept by the server and shown again on reload.
let scanTimer = 0;

function sizeWords(bytes) {
  return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
}

function scanSaid(text, bad) {
  const p = document.createElement("p");
  if (bad) p.className = "bad";
  p.textContent = text;
  $("scan-added").prepend(p);
}

function drawScan(s) {
  clearTimeout(scanTimer);
  const files = $("scan-files").tBodies[0];
  files.replaceChildren();
  for (const f of s.files) {
    const tr = document.createElement("tr");
    cell(tr, f.name);
    cell(tr, sizeWords(f.bytes), "n");
    const td = document.createElement("td");
    const b = document.createElement("button");
    b.textContent = "不用这个文件";
    b.addEventListener("click", () => setAside(f.name));
    td.appendChild(b);
    tr.appendChild(td);
    files.appendChild(tr);
  }
  $("scan-files-title").textContent = "放进来的扫描件：" + s.files.length + " 个文件";
  $("scan-files-box").hidden = s.files.length === 0;
  // A read refused (a wrong received date) is read again once the date is mended.
  $("scan-read").hidden = s.files.length === 0 || s.state === "running";
  const status = $("scan-status");
  status.className = "muted";
  $("scan-progress").hidden = s.state !== "running";
  if (s.state === "running") {
    status.className = "";
    status.textContent = "正在读 " + s.reading_files + " 个文件：已读 " + s.pages_read + " 页……";
    scanTimer = setTimeout(loadScan, 700);
  } else if (s.state === "failed") {
    status.className = "bad";
    status.textContent = "没有读完：" + s.message;
  } else if (!s.found) {
    status.textContent = s.files.length === 0 ? "还没有放进扫描件。" : "放进来的扫描件还没有读。";
  }
  if (s.state !== "running" && s.found) showFound(s.found);
  $("scan-found").hidden = !s.found || s.state === "running";
}

function showFound(f) {
  const t = f.totals;
  const status = $("scan-status");
  const missing = f.departments.reduce((n, d) => n + d.missing, 0);
  status.className = "";
  status.textContent = f.read_at + " 读了 " + f.files + " 个文件、" + t.pages + " 页（收到日期 " + f.received + "）：认出 " +
    t.identified + " 页，空白页 " + t.blank_pages + " 页，认不出 " + t.unreadable + " 页。入户调查表交回 " +
    t.household_forms + " 张：已填 " + t.filled + " 张，空白 " + (t.household_forms - t.filled) + " 张" +
    (f.roster ? "；按名单还有 " + missing + " 张没有交回" : "（没有名单，不知道印了多少）") + "。台账新记下 " +
    f.recorded_new + " 张" + (f.recorded_now_filled ? "，" + f.recorded_now_filled + " 张以前是空白、这次是已填" : "") + "。";
  const body = $("scan-departments").tBodies[0];
  body.replaceChildren();
  const total = { department: "合计", printed: 0, filled: 0, blank: 0, missing: 0 };
  for (const d of f.departments) for (const k of ["printed", "filled", "blank", "missing"]) total[k] += d[k];
  for (const d of f.departments.concat([total])) {
    const tr = document.createElement("tr");
    if (d === total) tr.className = "total";
    cell(tr, d.department);
    cell(tr, f.roster ? d.printed : "—", "n");
    cell(tr, d.filled, "n");
    cell(tr, d.blank, "n");
    cell(tr, f.roster ? d.missing : "—", "n");
    body.appendChild(tr);
  }
  const cadres = $("scan-cadres");
  cadres.replaceChildren();
  for (const d of f.departments) {
    const box = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = d.department + "：每名干部交回的表" + (f.roster ? "和还没交回的编号" : "");
    box.appendChild(summary);
    const table = document.createElement("table");
    const head = document.createElement("tr");
    for (const h of ["干部", "编号", "印了", "交回已填", "交回空白", "还没交回"]) {
      const th = document.createElement("th");
      th.textContent = h;
      head.appendChild(th);
    }
    table.appendChild(head);
    for (const c of d.cadres) {
      const tr = document.createElement("tr");
      cell(tr, c.cadre);
      cell(tr, c.id);
      cell(tr, c.printed === null ? "—" : c.printed, "n");
      cell(tr, c.filled, "n");
      cell(tr, c.blank, "n");
      cell(tr, c.printed === null ? "—" : c.missing.length === 0 ? "无" :
        c.missing.length + " 张：" + c.missing.slice(0, 8).join("、") + (c.missing.length > 8 ? " 等" : ""));
      table.appendChild(tr);
    }
    box.appendChild(table);
    cadres.appendChild(box);
  }
  const repeated = $("scan-repeated");
  repeated.replaceChildren();
  if (f.repeated.length > 0) {
    const h = document.createElement("h3");
    h.textContent = "扫了不止一次的表（只算一次）：" + f.repeated.length + " 张";
    const ul = document.createElement("ul");
    for (const r of f.repeated.slice(0, 200)) {
      const li = document.createElement("li");
      li.textContent = "编号 " + r.serial + "：" + r.places.join("、");
      ul.appendChild(li);
    }
    repeated.append(h, ul);
  }
  const unreadable = $("scan-unreadable");
  unreadable.replaceChildren();
  if (f.unreadable.length > 0) {
    const h = document.createElement("h3");
    h.className = "bad";
    h.textContent = "认不出的页：" + f.unreadable.length + " 页（请看一下，需要时重扫；没有计入上面的数）";
    const box = document.createElement("div");
    box.className = "pages";
    const stamp = Date.now();
    for (const u of f.unreadable.slice(0, 200)) {
      const figure = document.createElement("figure");
      if (u.image) {
        const link = document.createElement("a");
        link.href = fileUrl(u.image) + "?v=" + stamp;
        link.target = "_blank";
        const img = document.createElement("img");
        img.src = link.href;
        img.alt = u.place;
        link.appendChild(img);
        figure.appendChild(link);
      }
      const caption = document.createElement("figcaption");
      caption.textContent = u.place + "：" + u.why;
      figure.appendChild(caption);
      box.appendChild(figure);
    }
    unreadable.append(h, box);
  }
  const downloads = $("scan-downloads");
  downloads.replaceChildren();
  for (const d of f.downloads) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = fileUrl(d.path);
    a.target = "_blank";
    a.textContent = d.label;
    li.appendChild(a);
    downloads.appendChild(li);
  }
}

async function loadScan() {
  try { drawScan(await call("GET", "/api/scan")); }
  catch (e) { $("scan-status").className = "bad"; $("scan-status").textContent = e.message; }
}

// Reads every file kept; when a reading is running, waits for it and reads again.
async function readScans() {
  localStorage.setItem(storeKey("scan-received"), $("scan-received").value);
  for (;;) {
    try {
      drawScan(await call("POST", "/api/scan?received=" + encodeURIComponent($("scan-received").value)));
      return;
    } catch (e) {
      if (e.message.includes("正在读")) { await new Promise((r) => setTimeout(r, 1000)); continue; }
      $("scan-status").className = "bad";
      $("scan-status").textContent = e.message;
      // The files stay; once the date is mended they are read with this button.
      call("GET", "/api/scan").then((s) => { $("scan-read").hidden = s.files.length === 0; }).catch(() => {});
      return;
    }
  }
}

async function addScans(files) {
  let added = 0;
  for (const file of files) {
    $("scan-status").className = "";
    $("scan-status").textContent = "正在放进「" + file.name + "」……";
    try { scanSaid((await call("POST", "/api/scan/file?name=" + encodeURIComponent(file.name), file)).message); added++; }
    catch (e) { scanSaid(file.name + "：" + e.message, true); }
  }
  if (added > 0) await readScans(); else await loadScan();
}

async function setAside(name) {
  if (!confirm("不用「" + name + "」了吗？它会移到「扫描件_不用的」文件夹里（不会删掉），然后重新读其余的扫描件。")) return;
  try { scanSaid((await call("POST", "/api/scan/set-aside?name=" + encodeURIComponent(name))).message); }
  catch (e) { scanSaid(e.message, true); return; }
  const left = await call("GET", "/api/scan");
  if (left.files.length > 0) await readScans(); else drawScan(left);
}

$("scan-read").addEventListener("click", readScans);
$("drop-scans").addEventListener("click", () => $("scans-file").click());
$("scans-file").addEventListener("change", () => { addScans([...$("scans-file").files]); $("scans-file").value = ""; });
$("drop-scans").addEventListener("dragover", (e) => { e.preventDefault(); $("drop-scans").classList.add("over"); });
$("drop-scans").addEventListener("dragleave", () => $("drop-scans").classList.remove("over"));
$("drop-scans").addEventListener("drop", (e) => {
  e.preventDefault();
  $("drop-scans").classList.remove("over");
  addScans([...e.dataTransfer.files]);
});
$("scan-received").value = localStorage.getItem(storeKey("scan-received")) || "";
loadScan();

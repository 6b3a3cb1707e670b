// B5 CSV import: a preview of every row (errors, duplicates by phone), then all or nothing.
import { $, api } from "../lib/core.js";
import { leaveAcdOnLogout } from "./leave.js";
import { describe, fromServer, T, t } from "./messages.js";

let text = "";

function readFile() {
  return new Promise((resolve, reject) => {
    const file = $("import-file").files[0];
    if (!file) { reject(new Error(t("Choose a file first."))); return; }
    const reader = new FileReader();
    reader.addEventListener("load", () => resolve(reader.result));
    reader.addEventListener("error", () => reject(reader.error));
    reader.readAsText(file);
  });
}

function rowProblems(row) {
  const problems = Object.entries(row.errors).map(([key, value]) => `${T[`field:${key}`] || key}: ${fromServer(value)}`);
  if (row.duplicate_client_ids.length) problems.push(t("number already on client(s) %(ids)s", { ids: row.duplicate_client_ids.join(", ") }));
  if (row.duplicate_of_line) problems.push(t("same number as line %(line)s", { line: row.duplicate_of_line }));
  return problems.join("; ");
}

$("import-preview").addEventListener("click", async () => {
  try {
    text = await readFile();
    const p = await api("POST", "/api/v1/clients/import/preview", { csv: text, on_duplicate: $("import-dup").value });
    $("import-summary").textContent = `${t("%(rows)s rows, %(errors)s with errors, %(dups)s duplicates by phone.",
      { rows: p.rows.length, errors: p.error_rows, dups: p.duplicate_rows })} ${p.file_errors.map(fromServer).join(" ")}`;
    const table = $("import-rows");
    table.replaceChildren();
    const head = table.insertRow();
    for (const label of [t("Line"), t("Client"), t("Phone numbers"), t("Problems")]) {
      const th = document.createElement("th");
      th.textContent = label;
      head.append(th);
    }
    for (const r of p.rows) {
      const row = table.insertRow();
      row.className = Object.keys(r.errors).length ? "row-error" : (r.duplicate_client_ids.length || r.duplicate_of_line ? "row-dup" : "");
      const name = [r.values.first_name, r.values.last_name, r.values.company].filter(Boolean).join(" ");
      for (const value of [r.line, name, r.phones_display.join(", "), rowProblems(r)]) row.insertCell().textContent = value;
    }
    $("import-apply").disabled = !p.ok;
  } catch (err) { $("import-summary").textContent = describe(err); }
});

$("import-apply").addEventListener("click", async () => {
  try {
    const r = await api("POST", "/api/v1/clients/import", { csv: text, on_duplicate: $("import-dup").value });
    $("import-summary").textContent = t("Imported: %(created)s created, %(merged)s merged, %(skipped)s skipped.", r);
    $("import-apply").disabled = true;
  } catch (err) { $("import-summary").textContent = describe(err); }
});

leaveAcdOnLogout();

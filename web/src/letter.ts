// The decision dialog: the 问责决定书 (printable on A4: print CSS shows the letter alone) and
// the case's day-by-day explanation. Escape or 关闭 closes it; focus returns where it was.

import { t } from "./i18n";

const $ = (id: string) => document.getElementById(id) as HTMLElement;

export function renderLetter(article: HTMLElement, text: string): void {
  const lines = text.replace(/\n+$/, "").split("\n");
  const title = document.createElement("h1");
  title.textContent = lines[0].trim();
  const body = lines.slice(1).map((line) => {
    const p = document.createElement("p");
    p.textContent = line || "\u00a0";
    if (/^[一二三四五六七八九十]+、/.test(line)) p.className = "section";
    return p;
  });
  article.replaceChildren(title, ...body);
}

export async function openLetter(
  load: () => Promise<{ explanation: string | null; letter: string | null }>,
  noCase = false,
  onGraph: (() => void) | null = null,
): Promise<void> {
  const dialog = $("letter-dialog");
  const back = document.activeElement as HTMLElement | null;
  const article = $("letter");
  const pre = $("explanation");
  article.textContent = t("loading");
  pre.textContent = "";
  dialog.hidden = false;
  document.body.classList.add("printing-letter");
  const close = () => {
    dialog.hidden = true;
    document.body.classList.remove("printing-letter");
    document.removeEventListener("keydown", onKey);
    back?.focus();
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") close();
    if (e.key === "Tab") {
      // keep the focus inside the dialog
      const items = [...dialog.querySelectorAll<HTMLElement>("button, [tabindex='0']")].filter((el) => !el.hidden);
      const first = items[0];
      const last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    }
  };
  document.addEventListener("keydown", onKey);
  $("close-letter").onclick = close;
  $("print-letter").onclick = () => window.print();
  $("letter-graph").hidden = onGraph === null;
  $("letter-graph").onclick = () => {
    close();
    onGraph?.();
  };
  $("close-letter").focus();
  try {
    const answer = await load();
    if (answer.letter) renderLetter(article, answer.letter);
    else article.textContent = t("none");
    pre.textContent = answer.explanation ?? (noCase ? t("none") : "");
  } catch (err) {
    article.textContent = `${t("error")}: ${(err as Error).message}`;
  }
}

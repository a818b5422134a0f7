// The page's words: Chinese first, English on the switch. Elements carry data-i18n="key"
// (text) or data-i18n-title / data-i18n-placeholder; dynamic parts call t().

export type Lang = "zh" | "en";

const WORDS: Record<string, [string, string]> = {
  app_title: ["问责规则工作台", "wenze rulebook workbench"],
  tab_editor: ["编写规则", "Write"],
  tab_try: ["试算", "Try it"],
  tab_graph: ["流程图", "Process graph"],
  tab_board: ["预警看板", "Board"],
  lang_switch: ["English", "中文"],
  login_title: ["登录", "Sign in"],
  login_hint: [
    "请输入管理员发给您的访问令牌（wenze token create）。令牌只保存在本浏览器中。",
    "Enter the access token your administrator gave you (wenze token create). It stays in this browser.",
  ],
  token: ["访问令牌", "Access token"],
  remember: ["在本机记住", "Remember on this computer"],
  sign_in: ["登录", "Sign in"],
  sign_out: ["退出", "Sign out"],
  bad_token: ["令牌无效或已吊销", "Invalid or revoked token"],
  not_ready: ["服务正在启动，请稍候", "The service is starting, please wait"],
  outline: ["大纲", "Outline"],
  outline_empty: ["（尚无事项、流程、违规或阶梯）", "(no items, processes, violations or ladders yet)"],
  kind_item: ["事项", "item"],
  kind_process: ["流程", "process"],
  kind_violation: ["违规", "violation"],
  kind_ladder: ["阶梯", "ladder"],
  format: ["格式化", "Format"],
  open_file: ["打开文件", "Open file"],
  download: ["下载", "Download"],
  load_example: ["载入示例规则", "Load example rulebook"],
  load_published: ["载入服务规则集", "Load the service's rulebook"],
  diagnostics: ["检查结果", "Diagnostics"],
  checking: ["检查中…", "Checking…"],
  clean: ["没有问题", "No problems"],
  errors_n: ["{n} 个错误", "{n} error(s)"],
  warnings_n: ["{n} 个警告", "{n} warning(s)"],
  hint: ["提示", "Hint"],
  line_col: ["第 {line} 行第 {col} 列", "line {line}, col {col}"],
  fmt_failed: ["规则集有错误，无法格式化", "The rulebook has errors: cannot format"],
  formatted: ["已格式化", "Formatted"],
  replace_text: ["替换编辑器中的内容？", "Replace the editor's text?"],
  events: ["案件事件（JSON Lines、CSV 或 XES）", "Case events (JSON Lines, CSV or XES)"],
  events_format: ["格式", "Format"],
  mapping: ["映射", "Mapping"],
  mapping_own: ["自行填写（TOML 或 JSON）", "my own (TOML or JSON)"],
  mapping_xes: ["xes：IEEE XES 标准属性", "xes: the IEEE XES standard attributes"],
  mapping_receipt: ["receipt：WABO 收件日志", "receipt: the WABO receipt log"],
  mapping_text: ["映射（TOML 或 JSON，列 → 字段，见 docs/events.md 第 4 节）", "Mapping (TOML or JSON, column → field: docs/events.md §4)"],
  mapping_placeholder: [
    "例如 case = \"案件编号\"\nat = \"时间\"\nactivity = \"环节\"\nactor = \"经办人\"\nunit = \"单位\"\noffset = \"+08:00\"",
    "e.g. case = \"case_id\"\nat = \"time\"\nactivity = \"activity\"\nactor = \"resource\"\nunit = \"department\"\noffset = \"+08:00\"",
  ],
  no_mapping: ["请填写映射", "Write the mapping first"],
  uploaded: ["已上传 {name}（{size}）", "uploaded {name} ({size})"],
  on_time_chart: ["各单位各周期按时办结率", "On-time rate per unit and period"],
  by_level: ["各等级问责数（A 发布版 ⟷ B 编辑版）", "Sanctions per level (A published ⟷ B edited)"],
  by_unit: ["各单位问责数（A 发布版 ⟷ B 编辑版）", "Sanctions per unit (A published ⟷ B edited)"],
  events_placeholder: [
    "每行一个事件，例如 {\"id\":\"e1\",\"case\":\"C1\",\"type\":\"received\",\"at\":\"2024-06-03T09:00:00+08:00\",…}",
    "One event per line, e.g. {\"id\":\"e1\",\"case\":\"C1\",\"type\":\"received\",\"at\":\"2024-06-03T09:00:00+08:00\",…}",
  ],
  upload_events: ["上传事件文件", "Upload events"],
  use_example: ["使用示例（梓潼 2008 + 示例案件）", "Use the example (Zitong 2008 + caseload)"],
  as_of: ["评价基准日", "As of"],
  evaluate: ["评价", "Evaluate"],
  evaluating: ["评价中…", "Evaluating…"],
  as_of_format: ["评价基准日须写作 yyyy-mm-dd（如 2024-06-30）", "As of must be a day written yyyy-mm-dd (e.g. 2024-06-30)"],
  bad_event_line: ["第 {line} 行不是 JSON：{msg}", "Line {line} is not JSON: {msg}"],
  bad_event_array: ["事件数组不是 JSON：{msg}", "The events array is not JSON: {msg}"],
  no_events: ["请先粘贴或上传事件", "Paste or upload events first"],
  summary: [
    "{cases} 个案件，{events} 个事件：{decisions} 项问责决定，{warnings} 条预警，{rejected} 个事件被拒收，{unjudged} 个案件未能评判",
    "{cases} cases, {events} events: {decisions} decisions, {warnings} warnings, {rejected} rejected events, {unjudged} unjudged cases",
  ],
  decisions: ["问责决定", "Decisions"],
  warnings: ["预警", "Warnings"],
  metrics: ["指标", "Metrics"],
  rejected: ["拒收与未评判", "Rejected and unjudged"],
  col_event: ["事件", "Event"],
  col_line: ["行", "Line"],
  filter_unit: ["单位", "Unit"],
  filter_person: ["责任人", "Person"],
  filter_sanction: ["处理", "Sanction"],
  all: ["全部", "All"],
  shown_of: ["显示 {n} / {total}", "showing {n} of {total}"],
  col_key: ["编号", "Key"],
  col_case: ["案件", "Case"],
  col_unit: ["单位", "Unit"],
  col_person: ["责任人", "Person"],
  col_post: ["岗位", "Post"],
  col_role: ["责任类别", "Role"],
  col_violation: ["违规情形", "Violation"],
  col_sanction: ["处理", "Sanction"],
  col_established: ["认定日期", "Established"],
  col_level: ["级别", "Level"],
  col_item: ["事项", "Item"],
  col_deadline: ["期限", "Deadline"],
  col_days_over: ["逾期天数", "Days over"],
  col_period: ["周期", "Period"],
  col_received: ["收件", "Received"],
  col_decided: ["办结", "Decided"],
  col_on_time: ["按时", "On time"],
  col_on_time_rate: ["按时办结率", "On-time rate"],
  col_overdue_open: ["逾期未结", "Overdue open"],
  col_code: ["代码", "Code"],
  col_reason: ["原因", "Reason"],
  no_sanction: ["免予问责/无阶梯", "no sanction"],
  none: ["（无）", "(none)"],
  letter: ["问责决定书", "Decision letter"],
  explanation: ["逐日说明", "Day-by-day explanation"],
  print: ["打印决定书", "Print the letter"],
  close: ["关闭", "Close"],
  loading: ["加载中…", "Loading…"],
  process: ["流程", "Process"],
  overview: ["规则集总览", "Rulebook overview"],
  draw: ["绘制", "Draw"],
  zoom_in: ["放大", "Zoom in"],
  zoom_out: ["缩小", "Zoom out"],
  zoom_reset: ["适应", "Fit"],
  graph_source: ["按编辑器中的规则集绘制", "Drawn from the editor's rulebook"],
  view_graph: ["在流程图中查看本案", "See this case on its process graph"],
  graph_case: ["案件 {case}（截至 {day}）", "case {case} (as of {day})"],
  clear_case: ["不再显示案件", "Stop showing the case"],
  tab_compare: ["发布前对比", "Compare"],
  compare_hint: [
    "用同一批模拟案件，比较编辑器中的规则集（B）与服务正在使用的规则集（A）",
    "The editor's rulebook (B) against the service's (A) on the same synthetic caseload",
  ],
  cases: ["案件数", "Cases"],
  seed: ["随机种子", "Seed"],
  compare: ["对比", "Compare"],
  comparing: ["模拟并评价中…", "Simulating and evaluating…"],
  compare_summary: [
    "{cases} 个模拟案件（种子 {seed}，截至 {as_of}）：A「{published}」{a} 项决定，B（编辑版）{b} 项决定；{n} 人的决定有变化",
    "{cases} synthetic cases (seed {seed}, as of {as_of}): A “{published}” {a} decisions, B (edited) {b} decisions; {n} persons' decisions change",
  ],
  sanctions_by_unit: ["各单位各等级问责数（发布版 A ⟷ 编辑版 B）", "Sanctions per unit and level (published A ⟷ edited B)"],
  changed_persons: ["决定有变化的人员", "Persons whose decisions change"],
  col_a: ["发布版 A", "Published A"],
  col_b: ["编辑版 B", "Edited B"],
  col_delta: ["变化", "Change"],
  board_title: ["实时预警看板", "Live warning board"],
  board_as_of: ["截至 {day}", "as of {day}"],
  live: ["实时更新中", "live"],
  offline: ["连接中断，正在重连…", "disconnected, reconnecting…"],
  notice: ["预警", "Notice"],
  yellow: ["黄牌", "Yellow card"],
  red: ["红牌", "Red card"],
  in_force: ["生效中的问责决定", "Decisions in force"],
  no_warnings: ["本单位暂无预警", "No warnings"],
  units: ["单位", "Units"],
  store: ["规则库", "Store"],
  rb_open: ["打开…", "Open…"],
  rb_name: ["名称", "Name"],
  rb_name_placeholder: ["例如 zitong_2008", "e.g. zitong_2008"],
  rb_save: ["保存", "Save"],
  rb_activate: ["启用", "Activate"],
  rb_stored: ["规则库中的规则集", "Rulebooks in the store"],
  rb_in_force_store: ["现行规则集：{name} 第 {version} 版", "In force: {name}, version {version}"],
  rb_in_force_file: [
    "现行规则集：服务启动时指定的文件 {file}（尚未启用规则库中的规则集）",
    "In force: the service's file {file} (no stored rulebook activated yet)",
  ],
  rb_empty: ["规则库中还没有规则集", "No rulebooks stored yet"],
  rb_version_n: ["第 {version} 版", "version {version}"],
  rb_open_version: ["打开", "Open"],
  rb_current: ["{name} · 第 {version} 版", "{name} · version {version}"],
  rb_in_force: ["启用中", "in force"],
  rb_need_name: ["请先填写规则集名称", "Enter the rulebook's name first"],
  rb_bad_name: ["名称只能由字母、数字、_、- 或汉字组成", "A name holds only letters, digits, _, - or Chinese characters"],
  rb_saving: ["保存中…", "Saving…"],
  rb_saved: ["已保存：{name} 第 {version} 版", "Saved: {name}, version {version}"],
  rb_unchanged: ["与第 {version} 版相同，未另存新版本", "Same as version {version}: no new version stored"],
  rb_refused: ["规则集有 {n} 个错误，未保存（见检查结果）", "The rulebook has {n} error(s): not saved (see Diagnostics)"],
  rb_opened: ["已打开：{name} 第 {version} 版", "Opened: {name}, version {version}"],
  rb_activate_confirm: [
    "启用 {name} 第 {version} 版？库中全部事件将按此版本重新评判，内容有变化的问责决定将被新决定取代。",
    "Activate {name}, version {version}? Every stored event is judged again under it; decisions whose content changes are superseded.",
  ],
  rb_activating: ["启用中，正在重新评判…", "Activating, judging again…"],
  rb_activated: ["已启用 {name} 第 {version} 版：发出 {issued} 条更新", "Activated {name}, version {version}: {issued} update(s) issued"],
  rb_already: ["{name} 第 {version} 版已在启用中", "{name}, version {version} is already in force"],
  col_name: ["名称", "Name"],
  col_version: ["版本", "Version"],
  col_author: ["保存人", "Saved by"],
  col_saved_at: ["保存时间", "Saved at"],
  col_active: ["启用中", "In force"],
  error: ["出错了", "Error"],
  skip: ["跳到主要内容", "Skip to main content"],
};

let current: Lang = (localStorage.getItem("wenze.lang") as Lang | null) ?? "zh";

export function lang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  current = l;
  localStorage.setItem("wenze.lang", l);
  document.documentElement.lang = l === "zh" ? "zh-CN" : "en";
  apply(document.body);
}

export function t(key: string, vars: Record<string, string | number> = {}): string {
  const pair = WORDS[key];
  let text = pair ? pair[current === "zh" ? 0 : 1] : key;
  for (const [k, v] of Object.entries(vars)) text = text.split(`{${k}}`).join(String(v));
  return text;
}

/** Pick the zh or en side of a {zh, en} message from the server. */
export function pick(m: { zh?: string; en?: string } | string | null | undefined): string {
  if (m == null) return "";
  if (typeof m === "string") return m;
  return (current === "zh" ? m.zh ?? m.en : m.en ?? m.zh) ?? "";
}

export function apply(root: ParentNode): void {
  root.querySelectorAll<HTMLElement>("[data-i18n]").forEach((el) => {
    el.textContent = t(el.dataset.i18n!);
  });
  root.querySelectorAll<HTMLElement>("[data-i18n-title]").forEach((el) => {
    el.title = t(el.dataset.i18nTitle!);
    el.setAttribute("aria-label", el.title);
  });
  root.querySelectorAll<HTMLInputElement>("[data-i18n-placeholder]").forEach((el) => {
    el.placeholder = t(el.dataset.i18nPlaceholder!);
  });
}

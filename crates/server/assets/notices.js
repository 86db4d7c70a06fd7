// Live notices in the console frame (issue 4, item 7): listens to the caller's feed over
// Server-Sent Events and shows how many notices arrived since the page opened, with the
// latest few on a click. EventSource reconnects by itself and resumes from Last-Event-ID,
// so nothing is missed while a page stays open. No library: the console runs on intranet
// machines with whatever browser they have, and every page works without this script.
(function () {
  "use strict";
  var badge = document.getElementById("notices");
  if (!badge || !window.EventSource) {
    return;
  }
  var count = badge.querySelector("b");
  var list = document.getElementById("notice-list");
  var shown = 5;
  var n = 0;
  var source = new EventSource(badge.getAttribute("data-feed"));
  source.addEventListener("notice", function (e) {
    var notice = JSON.parse(e.data);
    n += 1;
    count.textContent = String(n);
    badge.hidden = false;
    var item = document.createElement("li");
    item.textContent = notice.kind + " · " + notice.stream + " · " +
      new Date(notice.at).toLocaleString();
    list.insertBefore(item, list.firstChild);
    while (list.children.length > shown) {
      list.removeChild(list.lastChild);
    }
  });
  badge.addEventListener("click", function () {
    list.hidden = !list.hidden;
  });
})();

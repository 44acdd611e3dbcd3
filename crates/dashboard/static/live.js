// Live updates for the boards, the queue and an alert's page. A page asks for them with a
// data-live attribute ("board", "queue" or "alert"), data-live-after (the last event it was
// rendered with) and, on an alert's page, data-alert-id. The script follows /events and, for
// an alert shown on the page, fetches its row again from /alerts/ID/row and puts it in
// place; a new alert is added to the lists marked data-live-insert="new". Whatever it cannot
// place is announced with a notice that offers a reload. Without this script, or when
// anything here fails, the pages work the same: by reloading them.
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root || typeof window.EventSource !== "function" || typeof window.fetch !== "function") {
    return;
  }
  var page = root.getAttribute("data-live");
  var after = root.getAttribute("data-live-after") || "";
  var pageAlert = root.getAttribute("data-alert-id") || "";
  var notice = null;

  function showNotice() {
    if (!notice) {
      notice = document.createElement("p");
      notice.className = "live-notice";
      notice.setAttribute("role", "status");
      notice.appendChild(document.createTextNode("Có cập nhật mới. "));
      var reload = document.createElement("a");
      reload.href = window.location.href;
      reload.textContent = "Tải lại trang";
      notice.appendChild(reload);
      root.insertBefore(notice, root.firstChild);
    }
    notice.hidden = false;
  }

  // The row of alert `id` as the server renders it now, or null.
  function fetchRow(id) {
    return window
      .fetch("/alerts/" + id + "/row", { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        // A session that ended is redirected to the login page: that is no row.
        if (!response.ok || response.redirected) {
          return null;
        }
        return response.text().then(function (html) {
          var holder = document.createElement("template");
          holder.innerHTML = html.trim();
          var row = holder.content.firstElementChild;
          return row && row.getAttribute("data-alert-id") === String(id) ? row : null;
        });
      })
      .catch(function () {
        return null;
      });
  }

  function replaceRows(rows, id) {
    fetchRow(id).then(function (fresh) {
      if (!fresh) {
        return;
      }
      for (var i = 0; i < rows.length; i++) {
        // Already replaced by a refresh that came back first.
        if (!rows[i].parentNode) {
          continue;
        }
        var copy = fresh.cloneNode(true);
        if (rows[i].id) {
          copy.id = rows[i].id;
        }
        copy.classList.add("live-changed");
        rows[i].parentNode.replaceChild(copy, rows[i]);
      }
    });
  }

  function insertNew(lists, id) {
    fetchRow(id).then(function (fresh) {
      if (!fresh) {
        return;
      }
      for (var i = 0; i < lists.length; i++) {
        if (lists[i].querySelector('[data-alert-id="' + id + '"]')) {
          continue;
        }
        var copy = fresh.cloneNode(true);
        copy.classList.add("live-changed");
        lists[i].insertBefore(copy, lists[i].firstChild);
        var empty = lists[i].parentNode.querySelector(".empty");
        if (empty) {
          empty.hidden = true;
        }
      }
    });
  }

  function onEvent(data) {
    var id = Number(data.alert_id);
    if (!isFinite(id) || id <= 0) {
      return;
    }
    if (page === "alert") {
      if (String(id) === pageAlert) {
        showNotice();
      }
      return;
    }
    var rows = root.querySelectorAll('[data-alert-id="' + id + '"]');
    if (rows.length > 0) {
      replaceRows(rows, id);
    } else if (data.action === "opened") {
      var lists = root.querySelectorAll('[data-live-insert="new"]');
      if (lists.length > 0) {
        insertNew(lists, id);
      }
    }
    // A changed alert may belong in another panel, or leave a filtered list.
    showNotice();
  }

  var url = "/events" + (after ? "?after=" + encodeURIComponent(after) : "");
  var source = new window.EventSource(url);
  source.onmessage = function (message) {
    var data;
    try {
      data = JSON.parse(message.data);
    } catch (e) {
      return;
    }
    onEvent(data);
  };
  // Too far behind to replay what happened: the page is best reloaded.
  source.addEventListener("reset", showNotice);
})();

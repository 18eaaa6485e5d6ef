// The workspace's only script: the disease switch of the case form, and the progress of the ZIP of prescriptions.
(function () {
  "use strict";
  var form = document.querySelector("form.case-form");
  var radios = document.querySelectorAll("input[name=disease]");
  function showDisease() {
    radios.forEach(function (r) { if (r.checked) { form.classList.remove("iim", "measles"); form.classList.add(r.value); } });
  }
  if (form && radios.length) { radios.forEach(function (r) { r.addEventListener("change", showDisease); }); showDisease(); }

  var start = document.getElementById("zip-start");
  if (!start) { return; }
  var bar = document.getElementById("zip-progress"), status = document.getElementById("zip-status");
  var token = document.querySelector("meta[name=csrf-token]").content;
  function poll(url) {
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (job) {
      bar.max = Math.max(job.total, 1); bar.value = job.done;
      status.textContent = job.done + " / " + job.total;
      if (job.status === "done") {
        status.innerHTML = ""; var link = document.createElement("a");
        link.href = job.file; link.id = "zip-download"; link.textContent = start.textContent + " ✓"; status.appendChild(link);
      } else if (job.status === "failed") { status.textContent = "✗"; }
      else { setTimeout(function () { poll(url); }, 500); }
    });
  }
  start.addEventListener("click", function () {
    bar.hidden = false; start.disabled = true;
    fetch(start.dataset.url, {method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": token}})
      .then(function (r) { return r.json(); }).then(function (job) { poll("/api/exports/" + job.id); });
  });
})();

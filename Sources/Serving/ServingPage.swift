import Foundation

/// The page at GET /: choose or drop an image, see the top-5 classes as bars and, for a model
/// with a matching flow, where each proxy attaches on the image and its share of the score.
/// One self-contained document (no build step, no external assets) that calls /v1/predict and
/// /v1/explain. Opened as `/?demo=URL` it fetches that image and uploads it exactly as a
/// dropped file (the browser test uses it).
enum ServingPage {
    /// The page, headed with `model` (e.g. "resnet20 + mpw, cifar10"), HTML-escaped.
    static func html(model: String) -> String {
        let escaped = model.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        return template.replacingOccurrences(of: "{{MODEL}}", with: escaped)
    }

    private static let template = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>mpw serve</title>
    <style>
      body { font: 15px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2330; background: #f6f7f9; }
      h1 { font-size: 20px; margin: 0 0 16px; }
      #drop { border: 2px dashed #8a94a6; border-radius: 8px; padding: 24px; text-align: center; background: #fff; cursor: pointer; }
      #drop.over { border-color: #1f77b4; background: #eef5fb; }
      #status { margin: 12px 0; min-height: 1.4em; }
      #status.error { color: #b00020; }
      .row { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
      .card { background: #fff; border-radius: 8px; padding: 16px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
      .bar { display: grid; grid-template-columns: 140px 260px 70px; gap: 8px; align-items: center; margin: 4px 0; }
      .bar .track { background: #e6e9ef; border-radius: 4px; height: 16px; overflow: hidden; }
      .bar .fill { background: #1f77b4; height: 100%; }
      .bar .value { text-align: right; font-variant-numeric: tabular-nums; }
      #proxies { display: flex; gap: 12px; flex-wrap: wrap; }
      figure { margin: 0; text-align: center; }
      figure img { image-rendering: pixelated; width: 128px; height: auto; border-radius: 4px; }
      figcaption { font-size: 13px; }
      #preview { max-width: 160px; max-height: 160px; image-rendering: pixelated; }
    </style>
    </head>
    <body data-state="idle">
    <h1>mpw serve: <span id="model">{{MODEL}}</span></h1>
    <div id="drop">Drop a JPEG or PNG here, or <label><u>choose a file</u><input id="file" type="file" accept="image/jpeg,image/png" hidden></label></div>
    <div id="status"></div>
    <div class="row">
      <div class="card" id="result" hidden>
        <img id="preview" alt="uploaded image">
        <h2 style="font-size:16px">Top classes</h2>
        <div id="bars"></div>
      </div>
      <div class="card" id="flow" hidden>
        <h2 style="font-size:16px">Matching flow of <span id="flow-class"></span></h2>
        <p id="flow-note" style="max-width:560px"></p>
        <div id="proxies"></div>
      </div>
    </div>
    <script>
    "use strict";
    const status = document.getElementById("status");
    function say(text, error) { status.textContent = text; status.className = error ? "error" : ""; }
    async function errorOf(response) {
      try { return (await response.json()).error || response.statusText; } catch (e) { return response.statusText; }
    }
    function figure(src, caption) {
      const f = document.createElement("figure");
      const img = document.createElement("img");
      img.src = src; img.alt = caption;
      const c = document.createElement("figcaption");
      c.textContent = caption;
      f.append(img, c);
      return f;
    }
    function showBars(predictions) {
      const bars = document.getElementById("bars");
      bars.replaceChildren();
      predictions.forEach((p, rank) => {
        const row = document.createElement("div");
        row.className = "bar";
        row.dataset.rank = rank + 1; row.dataset.className = p.name; row.dataset.probability = String(p.probability);
        const name = document.createElement("span"); name.className = "name"; name.textContent = p.name;
        const track = document.createElement("div"); track.className = "track";
        const fill = document.createElement("div"); fill.className = "fill"; fill.style.width = (100 * p.probability).toFixed(1) + "%";
        track.append(fill);
        const value = document.createElement("span"); value.className = "value"; value.textContent = (100 * p.probability).toFixed(2) + "%";
        if (rank === 0) { name.id = "top-class"; value.id = "top-probability"; }
        row.append(name, track, value);
        bars.append(row);
      });
    }
    function showFlow(answer) {
      document.getElementById("flow-class").textContent = answer.class_name;
      document.getElementById("flow-note").textContent =
        "Each picture is one proxy's transport plan T[:, m] over the image (jet: blue little, red much). " +
        "Score " + answer.score.toFixed(4) + " = sum of the proxies' parts.";
      const proxies = document.getElementById("proxies");
      proxies.replaceChildren(figure("data:image/png;base64," + answer.image_png, "image"));
      answer.proxies.forEach(p => {
        const f = figure("data:image/png;base64," + p.png,
          "P" + p.proxy + ": " + (100 * p.score_share).toFixed(1) + "% of the score");
        f.className = "proxy"; f.dataset.scoreShare = String(p.score_share);
        proxies.append(f);
      });
      proxies.append(figure("data:image/png;base64," + answer.argmax_png, "argmax proxy"));
      document.getElementById("flow").hidden = false;
    }
    async function upload(file) {
      document.body.dataset.state = "busy";
      say("Classifying " + (file.name || "the image") + "...");
      document.getElementById("preview").src = URL.createObjectURL(file);
      document.getElementById("flow").hidden = true;
      try {
        const headers = { "Content-Type": file.type || "application/octet-stream" };
        const predicted = await fetch("/v1/predict?topk=5", { method: "POST", headers, body: file });
        if (!predicted.ok) throw new Error(await errorOf(predicted));
        showBars((await predicted.json()).predictions);
        document.getElementById("result").hidden = false;
        const explained = await fetch("/v1/explain?topk=5", { method: "POST", headers, body: file });
        if (explained.ok) {
          showFlow(await explained.json());
          say("Done.");
        } else {
          say("No matching flow: " + await errorOf(explained));
        }
        document.body.dataset.state = "done";
      } catch (error) {
        say(error.message, true);
        document.body.dataset.state = "error";
      }
    }
    const drop = document.getElementById("drop");
    const input = document.getElementById("file");
    drop.addEventListener("click", event => { if (event.target === drop) input.click(); });
    input.addEventListener("change", () => { if (input.files.length) upload(input.files[0]); });
    drop.addEventListener("dragover", event => { event.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", event => {
      event.preventDefault(); drop.classList.remove("over");
      if (event.dataTransfer.files.length) upload(event.dataTransfer.files[0]);
    });
    const demo = new URLSearchParams(location.search).get("demo");
    if (demo) {
      fetch(demo).then(r => r.blob()).then(blob => upload(new File([blob], demo.split("/").pop(), { type: blob.type })));
    }
    </script>
    </body>
    </html>
    """#
}

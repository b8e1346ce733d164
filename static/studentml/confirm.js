// A link or button with data-confirm asks before it acts (e.g. "Clear the form" wipes 30 answers).
document.addEventListener("click", function (event) {
  var el = event.target.closest("[data-confirm]");
  if (el && !window.confirm(el.getAttribute("data-confirm"))) event.preventDefault();
});

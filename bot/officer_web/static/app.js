// Trang cán bộ: hỏi lại trước các thao tác không hoàn tác được (form có data-confirm).
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
